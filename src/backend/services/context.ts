import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { AnalysisPools } from '../../core/analysis/index.js';
import type { AppInfo, JobEvent } from '../../shared/api.js';
import { toProblem } from '../api-error.js';
import { Log } from '../log.js';
import type { Preferences } from '../preferences.js';

export interface BackendOptions {
  dataDir: string;
  transport: AppInfo['transport'];
  version: string;
}

interface Job {
  controller: AbortController;
  /** Latest estimate of an enhancement (columns × rows, [0, 1]). */
  image?: Float32Array;
}

/**
 * The running jobs (batch scans, stochastic enhancements) and their events: one place that starts
 * them, cancels them and tells the transports how they go.
 */
export class Jobs {
  private readonly jobs = new Map<string, Job>();
  private readonly listeners = new Set<(event: JobEvent) => void>();

  onEvent(listener: (event: JobEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: JobEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  start(): { jobId: string; job: Job } {
    const jobId = randomBytes(9).toString('base64url');
    const job: Job = { controller: new AbortController() };
    this.jobs.set(jobId, job);
    // Only the latest jobs are kept (a finished enhancement's image is read right after its events).
    if (this.jobs.size > 16) this.jobs.delete(this.jobs.keys().next().value!);
    return { jobId, job };
  }

  get(jobId: string): Job | undefined {
    return this.jobs.get(jobId);
  }

  cancel(jobId: string): { cancelled: boolean } {
    const job = this.jobs.get(jobId);
    if (!job || job.controller.signal.aborted) return { cancelled: false };
    job.controller.abort();
    return { cancelled: true };
  }

  /** A job that ended with an error: `done` (cancelled) when it was stopped, else `failed` with the problem. */
  ended(jobId: string, error: unknown): void {
    if (this.jobs.get(jobId)?.controller.signal.aborted) this.emit({ type: 'done', jobId, cancelled: true });
    else {
      const p = toProblem(error);
      this.emit({ type: 'failed', jobId, error: { code: p.code, message: p.message } });
    }
  }

  stopAll(): void {
    for (const job of this.jobs.values()) job.controller.abort();
  }
}

/** What every service shares: the options, the log, the preferences, the jobs and the analysis threads. */
export interface ServiceContext {
  options: BackendOptions;
  log: Log;
  prefs: Preferences;
  jobs: Jobs;
  /** Reading and compute threads for everything: opening, analysis, batch scans (warm after start). */
  pools: AnalysisPools;
}

export function logFor(options: BackendOptions): Log {
  return new Log(path.join(options.dataDir, 'logs'));
}
