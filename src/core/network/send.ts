/**
 * Sending result objects to a destination: C-STORE (either DIMSE implementation) or STOW-RS.
 * One association or request per call; every object gets its own outcome.
 */
import { LungLensError } from '../errors.js';
import { formatPeer, type Destination } from './config.js';
import { storeInstances } from './dicomweb.js';
import type { DimseImplementation } from './dimse.js';

export interface SendOutcome {
  destination: string;
  sent: number;
  failed: { file: string; message: string }[];
}

export interface SendOptions {
  implementation: DimseImplementation;
  /** Our AE title on the association. */
  callingAeTitle: string;
  timeoutMs?: number;
}

export const describeDestination = (d: Destination) => (d.kind === 'dimse' ? formatPeer(d.peer) : d.url);

export async function sendFiles(files: readonly string[], destination: Destination, o: SendOptions): Promise<SendOutcome> {
  if (files.length === 0) return { destination: destination.name, sent: 0, failed: [] };
  if (destination.kind === 'dimse') {
    const outcomes = await o.implementation.client.store(destination.peer, { aeTitle: o.callingAeTitle, ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) }, files);
    const failed = outcomes.filter((x) => !x.ok).map((x) => ({ file: x.file, message: x.message ?? 'failed' }));
    return { destination: destination.name, sent: outcomes.length - failed.length, failed };
  }
  const stow = await storeInstances({ url: destination.url, ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) }, files);
  if (stow.stored.length === 0 && stow.failed.length === 0) {
    throw new LungLensError('network', `${destination.url} accepted the STOW-RS request but named no stored instance.`);
  }
  return {
    destination: destination.name,
    sent: stow.stored.length,
    failed: stow.failed.map((f) => ({ file: f.sopInstanceUid, message: `failure reason ${f.reason ?? 'unknown'}` })),
  };
}
