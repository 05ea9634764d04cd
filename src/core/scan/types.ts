import type { Warning } from '../errors.js';
import type { ModelIdentity } from '../inference/engine.js';

/** One series of a scan (DESIGN.md §3 `items[]`). */
export interface ScanItem {
  id: string;
  /** Content identity (geometry and voxel values): what `--resume` recognises, whatever the path. */
  identity: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
  seriesDescription: string;
  path: string;
  status: 'ok' | 'error' | 'skipped';
  probability: number | null;
  verdict: 'covid' | 'non-covid' | null;
  threshold: number;
  /** One weight per slice, slice-index order (sums to 1). */
  sliceAttention: number[];
  slicePositive: boolean[];
  /** The slices with the highest attention, highest first (at most 5). */
  topSlices: number[];
  lungVolumeMl: number | null;
  dimensions: [number, number, number] | null;
  spacingMm: [number, number, number] | null;
  executionProvider: ModelIdentity['executionProvider'];
  /**
   * Per stage (ms): read, identity, mask (lung mask) and maskTensors, tensors (the slices, on another
   * thread while the mask is made), inference, thumbnails; total = wall time for the series.
   */
  timingsMs: Record<string, number>;
  warnings: Warning[];
  error?: { code: string; message: string };
}

export interface ScanResults {
  format: 'lunglens-scan';
  version: 1;
  model: { name: string; version: string; sha256: string; executionProvider: string; provider: ModelIdentity['provider']; threads: number };
  /** False while the scan is still running (or was interrupted); `--resume` completes it. */
  complete: boolean;
  summary: { series: number; ok: number; error: number; skipped: number; covid: number; nonCovid: number };
  items: ScanItem[];
}

export const TOP_SLICES = 5;
