/**
 * Retrieving a study (or one series) from a PACS node into LungLens's store: C-MOVE to our own AE
 * title — received by the node when it is running, else by a listener started for the retrieve —
 * or WADO-RS, each instance taken into the store with the same checks as a C-STORE.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { LungLensError } from '../errors.js';
import { formatPeer, type NetworkConfig, type PacsNode } from './config.js';
import { retrieveSeries, searchSeries } from './dicomweb.js';
import type { DimseImplementation } from './dimse.js';
import { InstanceStore } from './instance-store.js';
import { startListener, type Listener } from './listener.js';
import type { NetworkLog } from './log.js';

export interface ReceivedSeries {
  seriesInstanceUid: string;
  instances: number;
  folder: string;
}

export interface RetrieveOutcome {
  series: ReceivedSeries[];
  completed: number;
  failed: number;
}

export interface RetrieveOptions {
  config: NetworkConfig;
  node: PacsNode;
  studyInstanceUid: string;
  seriesInstanceUid?: string;
  storeDir: string;
  implementation: DimseImplementation;
  /** The node's listener when it is running: it receives the retrieved instances. */
  running?: Listener | null;
  log?: NetworkLog;
}

export function dicomwebOf(node: PacsNode): { url: string } {
  if (!node.dicomweb) throw new LungLensError('usage', `PACS ${node.name} has no DICOMweb URL; add it to its settings (e.g. http://pacs:8042/dicom-web).`);
  return { url: node.dicomweb };
}

/** C-MOVE to our own AE title; the PACS must know it (its AE title, host and port). */
export async function retrieveByMove(o: RetrieveOptions): Promise<RetrieveOutcome> {
  const counts = new Map<string, ReceivedSeries>();
  let started: Listener | null = null;
  let listener = o.running ?? null;
  if (!listener) {
    try {
      started = await startListener({
        // The node we retrieve from may send, whatever the stored list says.
        config: { ...o.config, pacs: o.config.pacs.some((p) => p.name === o.node.name) ? o.config.pacs : [...o.config.pacs, o.node] },
        storeDir: o.storeDir, implementation: o.implementation, onStableSeries: () => undefined, quietMs: 24 * 3600 * 1000,
        ...(o.log ? { log: o.log } : {}),
      });
      listener = started;
    } catch (error) {
      if (!(error instanceof LungLensError && /port is in use/.test(error.message))) throw error;
      // Another LungLens node holds our port: it receives the study.
    }
  }
  const stop = listener?.store.onStored((inst) => {
    if (inst.studyInstanceUid !== o.studyInstanceUid) return;
    const r = counts.get(inst.seriesInstanceUid) ?? { seriesInstanceUid: inst.seriesInstanceUid, instances: 0, folder: path.dirname(inst.path) };
    r.instances++;
    counts.set(inst.seriesInstanceUid, r);
  });
  try {
    const outcome = await o.implementation.client.move(o.node.peer, { aeTitle: o.config.listener.aeTitle }, {
      studyInstanceUid: o.studyInstanceUid, ...(o.seriesInstanceUid ? { seriesInstanceUid: o.seriesInstanceUid } : {}),
    }, o.config.listener.aeTitle);
    // Instances the PACS had sent before (duplicates) are not "stored" again: name their folders too.
    if (listener && outcome.completed > 0 && counts.size === 0) {
      const studyDir = path.dirname(listener.store.seriesFolder(o.studyInstanceUid, 'x'));
      for (const series of await fs.readdir(studyDir).catch(() => [] as string[])) {
        if (o.seriesInstanceUid && series !== o.seriesInstanceUid) continue;
        const folder = path.join(studyDir, series);
        counts.set(series, { seriesInstanceUid: series, instances: (await listener.store.instancesIn(folder)).size, folder });
      }
    }
    return { series: [...counts.values()], completed: outcome.completed, failed: outcome.failed };
  } catch (error) {
    if (error instanceof LungLensError && /0xA801/.test(error.message)) {
      throw new LungLensError('network', `${formatPeer(o.node.peer)} does not know LungLens as a destination: register AE title ${o.config.listener.aeTitle} with this computer's address and port ${o.config.listener.port} on the PACS.`);
    }
    throw error;
  } finally {
    stop?.();
    await started?.close();
  }
}

/** WADO-RS: each series streamed into files, then taken into the store. */
export async function retrieveByDicomWeb(o: Omit<RetrieveOptions, 'implementation' | 'running'> & { store?: InstanceStore }): Promise<RetrieveOutcome> {
  const web = dicomwebOf(o.node);
  const store = o.store ?? await InstanceStore.open(o.storeDir);
  const list = o.seriesInstanceUid ? [o.seriesInstanceUid] : (await searchSeries(web, o.studyInstanceUid)).map((s) => s.seriesInstanceUid);
  const out: ReceivedSeries[] = [];
  let failed = 0;
  for (const series of list) {
    const tmp = await fs.mkdtemp(path.join(store.root, 'incoming', 'wado-'));
    try {
      const files = await retrieveSeries(web, o.studyInstanceUid, series, tmp);
      let instances = 0;
      let folder = store.seriesFolder(o.studyInstanceUid, series);
      for (const f of files) {
        const r = await store.adopt(f, 'wado-rs');
        if (r.outcome === 'refused') failed++;
        else { instances++; folder = path.dirname(r.instance.path); }
      }
      if (instances > 0) out.push({ seriesInstanceUid: series, instances, folder });
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  }
  return { series: out, completed: out.reduce((n, s) => n + s.instances, 0), failed };
}
