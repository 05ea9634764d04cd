import { defineStore } from 'pinia';
import type { AppInfo, Settings } from '../../shared/api.js';
import { api, ApiCallError } from '../api/client.js';

export type View = 'reading' | 'review' | 'scan' | 'pacs' | 'settings';

/** What the user is told when something fails: the backend's sentence and what to do next. */
export interface Notice { code: string; message: string; hint?: string }

/** Next steps for the failures a reader can act on (the sentence itself comes from the backend). */
const HINTS: Record<string, string> = {
  'backend-unreachable': 'Restart `lunglens serve` (or the app) and reload this page.',
  'bad-token': 'Open the exact URL that `lunglens serve` printed, token included.',
  'no-model': 'Open Settings and choose a model file (.onnx with its .card.json beside it).',
  'unknown-series': 'Open the study again from the list of recent studies.',
  'nothing-found': 'Check the folder: LungLens reads DICOM, NIfTI, MetaImage and PNG/JPEG stacks.',
};

export function noticeOf(error: unknown): Notice {
  if (error instanceof ApiCallError) return { code: error.code, message: error.message, ...(HINTS[error.code] ? { hint: HINTS[error.code] } : {}) };
  return { code: 'internal', message: error instanceof Error ? error.message : String(error) };
}

export const useAppStore = defineStore('app', {
  state: () => ({
    info: null as AppInfo | null,
    view: 'reading' as View,
    notice: null as Notice | null,
    loading: true,
  }),
  actions: {
    async load() {
      this.loading = true;
      try {
        this.info = await api().call('info', {});
      } catch (error) {
        this.notify(error);
      } finally {
        this.loading = false;
      }
    },
    async saveSettings(settings: Settings) {
      try {
        this.info = await api().call('setSettings', settings);
        this.notice = this.info.modelProblem ? { code: this.info.modelProblem.code, message: this.info.modelProblem.message } : null;
      } catch (error) {
        this.notify(error);
      }
    },
    notify(error: unknown) {
      this.notice = noticeOf(error);
    },
    dismiss() {
      this.notice = null;
    },
  },
});
