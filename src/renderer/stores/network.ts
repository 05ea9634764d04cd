import { defineStore } from 'pinia';
import type { NetworkSettings, NetworkView, PacsStudy, RequestOf, SendOutcome } from '../../shared/api.js';
import { api } from '../api/client.js';
import { useAppStore } from './app.js';
import { useStudiesStore } from './studies.js';

export type PacsQuery = Omit<RequestOf<'pacsFind'>, 'pacs'>;

/**
 * The DICOM node as the page sees it: its settings and status, a search on a PACS node and its
 * results, retrieving a study (then opened like any other) and sending a series' results.
 */
export const useNetworkStore = defineStore('network', {
  state: () => ({
    view: null as NetworkView | null,
    saving: false,
    finding: false,
    /** Null until a search ran. */
    results: null as PacsStudy[] | null,
    /** The Study Instance UID being retrieved. */
    retrieving: null as string | null,
    sending: false,
    /** The last send, by series id. */
    sent: {} as Record<string, SendOutcome>,
  }),
  getters: {
    pacsNames: (state) => state.view?.settings.pacs.map((p) => p.name) ?? [],
    destinationNames: (state) => state.view?.settings.destinations.map((d) => d.name) ?? [],
  },
  actions: {
    async load() {
      try {
        this.view = await api().call('network', {});
      } catch (error) {
        useAppStore().notify(error);
      }
    },
    async save(settings: NetworkSettings): Promise<boolean> {
      this.saving = true;
      try {
        this.view = await api().call('setNetwork', settings);
        const problem = this.view.status.problem;
        if (problem) useAppStore().notice = { code: problem.code, message: problem.message, hint: 'Check the port and bind address in Settings → DICOM node.' };
        return true;
      } catch (error) {
        useAppStore().notify(error);
        return false;
      } finally {
        this.saving = false;
      }
    },
    async find(pacs: string, query: PacsQuery) {
      this.finding = true;
      try {
        this.results = (await api().call('pacsFind', { pacs, ...query })).studies;
      } catch (error) {
        useAppStore().notify(error);
      } finally {
        this.finding = false;
      }
    },
    /** Retrieves a study into LungLens and opens it in the reading room (which analyses it). */
    async retrieve(pacs: string, studyInstanceUid: string, dicomweb = false) {
      this.retrieving = studyInstanceUid;
      try {
        const r = await api().call('pacsRetrieve', { pacs, studyInstanceUid, dicomweb });
        if (r.paths.length === 0) {
          useAppStore().notice = { code: 'nothing-retrieved', message: `The PACS sent nothing (${r.failed} failed).`, hint: 'Check that the PACS knows LungLens (AE title, host, port) as a destination.' };
          return;
        }
        await useStudiesStore().open(r.paths);
      } catch (error) {
        useAppStore().notify(error);
      } finally {
        this.retrieving = null;
      }
    },
    async send(seriesId: string, destination: string) {
      this.sending = true;
      try {
        this.sent[seriesId] = await api().call('sendResults', { seriesId, destination });
      } catch (error) {
        useAppStore().notify(error);
      } finally {
        this.sending = false;
      }
    },
  },
});
