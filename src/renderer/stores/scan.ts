import { defineStore } from 'pinia';
import type { JobEvent, ScanRow } from '../../shared/api.js';
import { api } from '../api/client.js';
import { useAppStore } from './app.js';

export type ScanState = 'idle' | 'running' | 'done' | 'cancelled' | 'failed';
export type SortKey = 'path' | 'status' | 'probability' | 'verdict' | 'slices' | 'totalMs';

const STATUS_ORDER: Record<ScanRow['status'], number> = { error: 0, skipped: 1, ok: 2 };

/** Rows sorted by a column (nulls last whichever the direction), then by path. */
export function sortRows(rows: readonly ScanRow[], key: SortKey, direction: 1 | -1): ScanRow[] {
  const value = (r: ScanRow): string | number | null => (key === 'status' ? STATUS_ORDER[r.status] : r[key]);
  return [...rows].sort((a, b) => {
    const va = value(a), vb = value(b);
    if (va === null || vb === null) return va === vb ? a.path.localeCompare(b.path) : va === null ? 1 : -1;
    const c = typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb));
    return c !== 0 ? c * direction : a.path.localeCompare(b.path);
  });
}

/** The batch scan view: one job at a time, its rows as they arrive, sortable. */
export const useScanStore = defineStore('scan', {
  state: () => ({
    jobId: null as string | null,
    state: 'idle' as ScanState,
    done: 0,
    total: 0,
    rows: [] as ScanRow[],
    outDir: null as string | null,
    sortKey: 'path' as SortKey,
    sortDirection: 1 as 1 | -1,
    startedAt: 0,
    /** Events that arrived before the job's id did (the event stream can be faster than the reply). */
    early: [] as JobEvent[],
  }),
  getters: {
    sorted(state): ScanRow[] {
      return sortRows(state.rows, state.sortKey, state.sortDirection);
    },
    counts(state) {
      return {
        ok: state.rows.filter((r) => r.status === 'ok').length,
        covid: state.rows.filter((r) => r.verdict === 'covid').length,
        indeterminate: state.rows.filter((r) => r.verdict === 'indeterminate').length,
        error: state.rows.filter((r) => r.status === 'error').length,
        skipped: state.rows.filter((r) => r.status === 'skipped').length,
      };
    },
  },
  actions: {
    async start(paths: string[]) {
      this.$patch({ state: 'running', done: 0, total: 0, rows: [], outDir: null, jobId: null, startedAt: Date.now(), early: [] });
      try {
        this.jobId = (await api().call('scan', { paths })).jobId;
        for (const event of this.early.splice(0)) this.apply(event);
      } catch (error) {
        this.state = 'failed';
        useAppStore().notify(error);
      }
    },
    async cancel() {
      if (this.jobId && this.state === 'running') await api().call('cancel', { jobId: this.jobId });
    },
    sortBy(key: SortKey) {
      if (this.sortKey === key) this.sortDirection = this.sortDirection === 1 ? -1 : 1;
      else {
        this.sortKey = key;
        this.sortDirection = key === 'probability' ? -1 : 1;
      }
    },
    /** Follows the backend's job events (returns the function that stops). */
    listen(): () => void {
      return api().onEvent((e) => this.apply(e));
    },
    /** A job event from the backend (events of other jobs are ignored). */
    apply(event: JobEvent) {
      if (this.jobId === null && this.state === 'running') {
        this.early.push(event);
        return;
      }
      if (event.jobId !== this.jobId) return;
      if (event.type === 'progress') {
        this.done = event.done;
        this.total = event.total;
        if (event.row) this.rows.push(event.row);
      } else if (event.type === 'done') {
        this.state = event.cancelled ? 'cancelled' : 'done';
        this.outDir = event.outDir ?? null;
      } else {
        this.state = 'failed';
        useAppStore().notice = { code: event.error.code, message: event.error.message };
      }
    },
  },
});
