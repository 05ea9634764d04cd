import { defineStore } from 'pinia';
import { nextTick } from 'vue';
import type { QueueRow, Review, ReviewVerdict, SliceMark } from '../../shared/api.js';
import { topSlices } from '../../core/model/top-slices.js';
import { api } from '../api/client.js';
import { useAppStore } from './app.js';
import { useStudiesStore } from './studies.js';
import { useViewerStore } from './viewer.js';

/** Every slice, highest attention first (ties: lower index first): the order a reviewer walks. */
export function attentionOrder(attention: readonly number[]): number[] {
  return topSlices(attention, attention.length);
}

/**
 * Review mode: the queue (filtered by AI verdict and review status), the study under review and
 * the reviewer's walk through its slices in attention order. Every edit is sent at once; the
 * backend saves and audits it, and the store shows what the backend saved.
 */
export const useReviewStore = defineStore('review', {
  state: () => ({
    rows: [] as QueueRow[],
    aiVerdict: '' as '' | NonNullable<QueueRow['aiVerdict']>,
    status: '' as '' | QueueRow['status'],
    current: null as Review | null,
    saving: 0,
    opening: false,
  }),
  getters: {
    order(state): number[] {
      return state.current ? attentionOrder(state.current.ai.attention) : [];
    },
    /** The reader's verdict against the AI's; where the AI gave no answer, the reader confirms that (indeterminate) or decides. */
    agreement(state): 'agree' | 'disagree' | 'confirm' | 'override' | null {
      const r = state.current;
      if (!r || !r.ai.verdict || !r.review.verdict) return null;
      if (r.ai.verdict === 'indeterminate') return r.review.verdict === 'indeterminate' ? 'confirm' : 'override';
      if (r.review.verdict === 'indeterminate') return null;
      return r.ai.verdict === r.review.verdict ? 'agree' : 'disagree';
    },
  },
  actions: {
    reviewer(): string {
      return useAppStore().info?.settings.reviewer.trim() ?? '';
    },
    async loadQueue() {
      try {
        this.rows = (await api().call('reviewQueue', { ...(this.aiVerdict ? { aiVerdict: this.aiVerdict } : {}), ...(this.status ? { status: this.status } : {}) })).rows;
      } catch (error) {
        useAppStore().notify(error);
      }
    },
    /** Opens a queued study: its series in the viewer, its review beside it, the top slice on screen. */
    async start(row: QueueRow) {
      const studies = useStudiesStore();
      this.opening = true;
      try {
        this.current = await api().call('review', { key: row.key });
        await studies.open([row.path]);
        // the series of this study (a folder may hold several): the one whose analysis has this key
        for (const s of studies.series.filter((x) => x.path === row.path || row.path.startsWith(`${x.path}/`) || x.path.startsWith(row.path))) {
          await studies.select(s.id);
          if (studies.analysis?.reviewKey === row.key) break;
        }
        // the viewer of this series mounts on the next render and starts at its middle slice: after it, the top slice
        await nextTick();
        const top = this.order[0];
        if (top !== undefined) useViewerStore().goTo(top);
      } catch (error) {
        useAppStore().notify(error);
      } finally {
        this.opening = false;
      }
    },
    /**
     * The next (or previous) slice in attention order after the one on screen. The walk's place is
     * the viewer's slice itself, so scrolling or clicking the timeline never leaves it behind.
     */
    step(delta: 1 | -1) {
      if (!this.current) return;
      const viewer = useViewerStore();
      const rank = this.order.indexOf(viewer.index);
      const k = this.order[Math.min(this.order.length - 1, Math.max(0, rank + delta))];
      if (k !== undefined) viewer.goTo(k);
    },
    async save(call: () => Promise<Review>) {
      if (!this.reviewer()) {
        useAppStore().notice = { code: 'no-reviewer', message: 'Reviews are signed: your name is not set yet.', hint: 'Enter it in Settings, then go on.' };
        return false;
      }
      this.saving++;
      try {
        this.current = await call();
        void this.loadQueue(); // the queue shows the new status and marks
        return true;
      } catch (error) {
        useAppStore().notify(error);
        return false;
      } finally {
        this.saving--;
      }
    },
    /** Marks the slice on screen and moves to the next one in attention order. */
    async mark(mark: SliceMark | null) {
      const r = this.current;
      if (!r) return;
      const slice = useViewerStore().index;
      if (await this.save(() => api().call('reviewMark', { key: r.key, reviewer: this.reviewer(), slice, mark }))) if (mark) this.step(1);
    },
    async setVerdict(verdict: ReviewVerdict) {
      const r = this.current;
      if (r) await this.save(() => api().call('reviewSet', { key: r.key, reviewer: this.reviewer(), verdict }));
    },
    async setNote(note: string) {
      const r = this.current;
      if (r && note !== r.review.note) await this.save(() => api().call('reviewSet', { key: r.key, reviewer: this.reviewer(), note }));
    },
    /** Done with this study: saved as done, and the next one in the queue opens. */
    async finish() {
      const r = this.current;
      if (!r || !(await this.save(() => api().call('reviewSet', { key: r.key, reviewer: this.reviewer(), status: 'done' })))) return;
      await this.loadQueue();
      const next = this.rows.find((row) => row.status !== 'done' && row.key !== r.key);
      if (next) await this.start(next);
    },
  },
});
