/**
 * When is a received series complete? DICOM does not say, so — like Orthanc's "stable" series — a
 * series is taken as complete once no new instance of it arrived for a quiet period. Each stable
 * series is handed on once per content: its identity is the SHA-256 of its instances' UIDs and
 * content hashes, remembered in the series folder (`.stable`) after the handler succeeded, so the
 * same study sent again (every instance a duplicate) or a listener restarted finds nothing new.
 *
 * Handlers run one at a time, in the order series became stable.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { InstanceKind } from './sop-classes.js';
import { INDEX, type InstanceStore, type StoredInstance } from './instance-store.js';
import { silentLog, uidKey, type NetworkLog } from './log.js';

export interface StableSeries {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  /** The folder holding the series' files (and nothing else but our index). */
  folder: string;
  instances: number;
  kind: InstanceKind;
  /** SHA-256 over the sorted (SOP Instance UID, content hash) pairs. */
  identity: string;
}

export type StableSeriesHandler = (series: StableSeries) => Promise<void> | void;

const STABLE_MARK = '.stable';

export class StableSeriesTracker {
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; instance: StoredInstance }>();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly store: InstanceStore,
    private readonly quietMs: number,
    private readonly handler: StableSeriesHandler,
    private readonly log: NetworkLog = silentLog,
  ) {
    store.onStored((instance) => this.touch(instance));
  }

  /** Series folders whose content changed after their last handled state (a restart, a crash), handed on again after the quiet period. */
  async resume(): Promise<number> {
    const studies = path.join(this.store.root, 'studies');
    let pending = 0;
    for (const study of await fs.readdir(studies).catch(() => [] as string[])) {
      for (const series of await fs.readdir(path.join(studies, study)).catch(() => [] as string[])) {
        const folder = path.join(studies, study, series);
        const [identity, kind] = await Promise.all([this.identityOf(folder), this.kindOf(folder)]);
        if (identity && kind && identity.value !== await this.handled(folder)) {
          this.touch({ studyInstanceUid: study, seriesInstanceUid: series, sopInstanceUid: '', sopClassUid: '', kind, sha256: '', path: folder });
          pending++;
        }
      }
    }
    return pending;
  }

  private touch(instance: StoredInstance): void {
    if (this.closed) return;
    const key = `${instance.studyInstanceUid}/${instance.seriesInstanceUid}`;
    const existing = this.timers.get(key);
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.queue = this.queue.then(() => this.fire(instance));
    }, this.quietMs);
    this.timers.set(key, { timer, instance });
  }

  private async fire(instance: StoredInstance): Promise<void> {
    if (this.closed) return;
    const folder = this.store.seriesFolder(instance.studyInstanceUid, instance.seriesInstanceUid);
    const identity = await this.identityOf(folder);
    if (!identity) return;
    const series = uidKey(instance.seriesInstanceUid);
    if (identity.value === await this.handled(folder)) {
      this.log('series-unchanged', { series, instances: identity.count });
      return;
    }
    const stable: StableSeries = {
      studyInstanceUid: instance.studyInstanceUid, seriesInstanceUid: instance.seriesInstanceUid, folder,
      instances: identity.count, kind: (await this.kindOf(folder)) ?? instance.kind, identity: identity.value,
    };
    this.log('series-stable', { series, instances: identity.count, kind: stable.kind });
    try {
      await this.handler(stable);
      await fs.writeFile(path.join(folder, STABLE_MARK), `${identity.value}\n`);
    } catch (error) {
      // Not marked: the next instance of the series, or the next start, hands it on again.
      this.log('series-handler-failed', { series, code: (error as { code?: string }).code ?? 'error' });
    }
  }

  private async identityOf(folder: string): Promise<{ value: string; count: number } | null> {
    const known = await this.store.instancesIn(folder);
    if (known.size === 0) return null;
    const h = createHash('sha256');
    for (const sop of [...known.keys()].sort()) h.update(`${sop}:${known.get(sop)}\n`);
    return { value: h.digest('hex'), count: known.size };
  }

  private async kindOf(folder: string): Promise<InstanceKind | null> {
    const lines = await fs.readFile(path.join(folder, INDEX), 'utf8').catch(() => '');
    const m = /"kind":"(ct|seg|sr)"/.exec(lines);
    return (m?.[1] as InstanceKind | undefined) ?? null;
  }

  private async handled(folder: string): Promise<string | null> {
    return (await fs.readFile(path.join(folder, STABLE_MARK), 'utf8').catch(() => '')).trim() || null;
  }

  /** Stops the timers and waits for the handler that is running, if any. */
  async close(): Promise<void> {
    this.closed = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await this.queue;
  }
}
