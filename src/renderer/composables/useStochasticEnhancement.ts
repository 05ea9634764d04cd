/**
 * The stochastic enhancement of the slice on screen, run by the backend as a job: start (a new
 * one replaces the last), progress as chains finish, the latest estimate as it refines, cancel
 * when the view closes. One image request at a time; the latest estimate wins.
 */
import { onBeforeUnmount, onMounted, reactive } from 'vue';
import type { JobEvent, StochasticRequestParams } from '../../shared/api.js';
import { api } from '../api/client.js';
import { useAppStore } from '../stores/app.js';

export type EnhancementState = 'idle' | 'running' | 'done' | 'failed';

export function useStochasticEnhancement(onEstimate: (values: Float32Array) => void) {
  const app = useAppStore();
  const progress = reactive({ jobId: null as string | null, done: 0, total: 0, state: 'idle' as EnhancementState });
  let fetching = false;
  let again = false;

  async function start(seriesId: string, index: number, params: StochasticRequestParams & { chains: number }): Promise<void> {
    progress.state = 'running';
    progress.done = 0;
    progress.total = params.chains;
    try {
      progress.jobId = (await api().call('enhance', { seriesId, index, params })).jobId;
    } catch (error) {
      progress.state = 'failed';
      app.notify(error);
    }
  }

  async function fetchEstimate(jobId: string): Promise<void> {
    if (fetching) return void (again = true);
    fetching = true;
    try {
      const values = new Float32Array(await api().call('enhanceImage', { jobId }));
      if (jobId === progress.jobId) onEstimate(values);
    } catch {
      // replaced by a newer job meanwhile: nothing to show
    } finally {
      fetching = false;
      if (again) {
        again = false;
        void fetchEstimate(jobId);
      }
    }
  }

  function onEvent(e: JobEvent): void {
    if (e.jobId !== progress.jobId) return;
    if (e.type === 'progress') {
      progress.done = e.done;
      void fetchEstimate(e.jobId);
    } else if (e.type === 'done') {
      if (!e.cancelled) progress.state = 'done';
    } else {
      progress.state = 'failed';
      app.notice = { ...e.error };
    }
  }

  let unsubscribe: (() => void) | null = null;
  onMounted(() => (unsubscribe = api().onEvent(onEvent)));
  onBeforeUnmount(() => {
    unsubscribe?.();
    if (progress.jobId && progress.state === 'running') void api().call('cancel', { jobId: progress.jobId }).catch(() => undefined);
  });

  return { progress, start };
}
