/**
 * The DICOM node's receiving side: a C-ECHO/C-STORE SCP (either implementation), the instance
 * store it writes through, and the stable-series tracker that hands each complete series on
 * (`onStableSeries`: a folder of one series' files, once per content). What is done with a stable
 * series — analysis, sending results — is the caller's.
 */
import type { NetworkConfig } from './config.js';
import type { DimseImplementation, StoreServer } from './dimse.js';
import { InstanceStore } from './instance-store.js';
import { silentLog, type NetworkLog } from './log.js';
import { StableSeriesTracker, type StableSeriesHandler } from './stable-series.js';

export interface ListenerOptions {
  config: NetworkConfig;
  /** Where received studies are kept (`<data>/received` in the app). */
  storeDir: string;
  implementation: DimseImplementation;
  onStableSeries: StableSeriesHandler;
  log?: NetworkLog;
  /** Overrides `config.listener.stableSeconds` (tests use fractions of a second). */
  quietMs?: number;
}

export interface Listener {
  readonly port: number;
  readonly store: InstanceStore;
  close(): Promise<void>;
}

/** Calling AE titles that may send to us: the configured ones and every configured PACS node. */
export function allowedCallers(config: NetworkConfig): Set<string> {
  return new Set([...config.listener.allowedCallingAeTitles, ...config.pacs.map((p) => p.peer.aeTitle)]);
}

export async function startListener(o: ListenerOptions): Promise<Listener> {
  const log = o.log ?? silentLog;
  const store = await InstanceStore.open(o.storeDir, log, o.config.listener.durability);
  const tracker = new StableSeriesTracker(store, o.quietMs ?? o.config.listener.stableSeconds * 1000, o.onStableSeries, log);
  const allowed = allowedCallers(o.config);
  if (allowed.size === 0) log('no-callers-allowed', { hint: 'allowedCallingAeTitles' });
  let server: StoreServer;
  try {
    server = await o.implementation.listen({
      aeTitle: o.config.listener.aeTitle,
      port: o.config.listener.port,
      bindAddress: o.config.listener.bindAddress,
      isAllowed: (ae) => allowed.has(ae),
      store,
      log,
    });
  } catch (error) {
    await tracker.close();
    throw error;
  }
  // Series received before a restart whose handling never completed are handed on again.
  const pending = await tracker.resume();
  if (pending > 0) log('series-resumed', { series: pending });
  return {
    port: server.port,
    store,
    async close() {
      await server.close();
      await tracker.close();
      store.closeDirectories();
    },
  };
}
