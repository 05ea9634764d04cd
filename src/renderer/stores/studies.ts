import { defineStore } from 'pinia';
import type { Analysis, OpenResult, SeriesView } from '../../shared/api.js';
import { api } from '../api/client.js';
import { useAppStore } from './app.js';

export type AnalysisState = 'idle' | 'running' | 'done' | 'failed';

/**
 * The opened studies: their series, what the reader rejected, the selected series and each
 * series' analysis. Opening a study selects its first series and analyses it at once, so the
 * verdict arrives without another click. Performance marks `lunglens:open` and
 * `lunglens:verdict` time "open" → verdict (the e2e run prints the measure).
 */
export const useStudiesStore = defineStore('studies', {
  state: () => ({
    series: [] as SeriesView[],
    rejected: [] as OpenResult['rejected'],
    selectedId: null as string | null,
    analyses: {} as Record<string, Analysis>,
    analysisState: {} as Record<string, AnalysisState>,
    opening: null as string | null,
  }),
  getters: {
    selected(state): SeriesView | null {
      return state.series.find((s) => s.id === state.selectedId) ?? null;
    },
    analysis(state): Analysis | null {
      return state.selectedId ? state.analyses[state.selectedId] ?? null : null;
    },
    /** Series grouped by study, in the order they were opened. */
    studies(state): Array<{ studyInstanceUid: string; series: SeriesView[] }> {
      const groups = new Map<string, SeriesView[]>();
      for (const s of state.series) groups.set(s.studyInstanceUid, [...(groups.get(s.studyInstanceUid) ?? []), s]);
      return [...groups].map(([studyInstanceUid, series]) => ({ studyInstanceUid, series }));
    },
  },
  actions: {
    async open(paths: string[]) {
      await this.load(`Reading ${paths.length === 1 ? paths[0] : `${paths.length} items`} …`, () => api().call('open', { paths }));
    },
    async openSamples() {
      await this.load('Opening the sample studies (written on first use, ≈ 20 s) …', () => api().call('openSamples', {}));
    },
    async load(what: string, read: () => Promise<OpenResult>) {
      const app = useAppStore();
      performance.clearMarks();
      performance.mark('lunglens:open');
      this.opening = what;
      try {
        const result = await read();
        this.rejected = result.rejected;
        const fresh = result.series.filter((s) => !this.series.some((o) => o.id === s.id));
        this.series = [...this.series, ...fresh];
        if (result.series.length === 0) {
          app.notice = { code: 'nothing-found', message: `No image series was found there${result.rejected.length ? ` (${result.rejected.length} files were not readable)` : ''}.`, hint: 'Check the folder: LungLens reads DICOM, NIfTI, MetaImage and PNG/JPEG stacks.' };
          return;
        }
        if (app.view !== 'review') app.view = 'reading'; // review mode opens its studies in place
        await this.select(result.series[0]!.id);
      } catch (error) {
        app.notify(error);
      } finally {
        this.opening = null;
      }
    },
    /** Another model answers from now on: every analysis shown so far is dropped and the selected series analysed again. */
    async modelChanged() {
      this.analyses = {};
      this.analysisState = {};
      if (this.selectedId) await this.select(this.selectedId);
    },
    async select(id: string) {
      this.selectedId = id;
      if (this.analysisState[id] === 'done' || this.analysisState[id] === 'running') return;
      this.analysisState[id] = 'running';
      try {
        this.analyses[id] = await api().call('analyze', { seriesId: id });
        this.analysisState[id] = 'done';
        if (this.selectedId === id) performance.mark('lunglens:verdict');
      } catch (error) {
        this.analysisState[id] = 'failed';
        useAppStore().notify(error);
      }
    },
  },
});
