/**
 * LungLens as a DICOM node (DESIGN.md §8): receiving (C-ECHO/C-STORE SCP, instance store,
 * stable-series tracker), query/retrieve (C-FIND, C-MOVE; QIDO-RS, WADO-RS), sending (C-STORE,
 * STOW-RS), behind one DIMSE interface with two implementations, and the node's configuration.
 */
import { dcmjsDimse } from './dcmjs-dimse.js';
import { dcmtk } from './dcmtk.js';
import type { DimseImplementation } from './dimse.js';

export function dimseImplementation(name: 'dcmjs-dimse' | 'dcmtk'): DimseImplementation {
  return name === 'dcmtk' ? dcmtk : dcmjsDimse;
}

export * from './config.js';
export * from './dimse.js';
export { startListener, allowedCallers, type Listener, type ListenerOptions } from './listener.js';
export { InstanceStore, STORE_STATUS, type StoredInstance, type CommitOutcome } from './instance-store.js';
export type { StableSeries, StableSeriesHandler } from './stable-series.js';
export { searchStudies, searchSeries, searchInstances, retrieveSeries, storeInstances, type DicomWebEndpoint, type StowOutcome } from './dicomweb.js';
export { retrieveByMove, retrieveByDicomWeb, dicomwebOf, type ReceivedSeries, type RetrieveOutcome, type RetrieveOptions } from './retrieve.js';
export { sendFiles, describeDestination, type SendOutcome, type SendOptions } from './send.js';
export { jsonLinesLog, silentLog, uidKey, type NetworkLog } from './log.js';
