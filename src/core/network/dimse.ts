/**
 * One DIMSE interface, two implementations: the built-in one on dcmjs-dimse (`dcmjs-dimse.ts`)
 * and DCMTK's command-line tools (`dcmtk.ts`) for sites that trust those. Everything above this
 * file (the listener, `lunglens pacs`, sending results) speaks only this interface.
 */
import type { Peer } from './config.js';
import type { InstanceStore } from './instance-store.js';
import type { NetworkLog } from './log.js';

/** C-FIND keys of a study query; empty strings are universal matching. Wildcards * and ? allowed where DICOM allows. */
export interface StudyQuery {
  patientId?: string;
  patientName?: string;
  accessionNumber?: string;
  /** YYYYMMDD or a range YYYYMMDD-YYYYMMDD. */
  studyDate?: string;
  /** e.g. CT */
  modality?: string;
  studyInstanceUid?: string;
}

export interface StudyMatch {
  studyInstanceUid: string;
  patientName: string;
  patientId: string;
  studyDate: string;
  studyTime: string;
  accessionNumber: string;
  studyDescription: string;
  modalitiesInStudy: string[];
  numberOfSeries: number | null;
  numberOfInstances: number | null;
}

export interface SeriesMatch {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  modality: string;
  seriesNumber: number | null;
  seriesDescription: string;
  numberOfInstances: number | null;
}

export interface MoveTarget {
  studyInstanceUid: string;
  seriesInstanceUid?: string;
}

export interface MoveOutcome {
  /** The final C-MOVE status (0 success, 0xB000 warning: some sub-operations failed). */
  status: number;
  completed: number;
  failed: number;
  warning: number;
}

export interface StoreOutcome {
  file: string;
  sopInstanceUid: string;
  /** The C-STORE response status; null when the file could not be sent at all. */
  status: number | null;
  ok: boolean;
  message?: string;
}

/** Who we are on an association we open. */
export interface Caller {
  aeTitle: string;
  /** Milliseconds to wait for the peer at each step (default 30 s). */
  timeoutMs?: number;
}

export interface DimseClient {
  echo(peer: Peer, caller: Caller): Promise<void>;
  findStudies(peer: Peer, caller: Caller, query: StudyQuery): Promise<StudyMatch[]>;
  findSeries(peer: Peer, caller: Caller, studyInstanceUid: string): Promise<SeriesMatch[]>;
  /** Asks the peer to send a study or series to `destinationAeTitle` (normally our own listener). */
  move(peer: Peer, caller: Caller, target: MoveTarget, destinationAeTitle: string): Promise<MoveOutcome>;
  /** Sends Part 10 files on one association, in order. */
  store(peer: Peer, caller: Caller, files: readonly string[]): Promise<StoreOutcome[]>;
}

export interface StoreServerOptions {
  aeTitle: string;
  port: number;
  bindAddress: string;
  /** Whether a calling AE title may open an association; anyone else is rejected. */
  isAllowed: (callingAeTitle: string) => boolean;
  store: InstanceStore;
  log: NetworkLog;
}

export interface StoreServer {
  /** The port actually listened on (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

export interface DimseImplementation {
  readonly name: 'dcmjs-dimse' | 'dcmtk';
  readonly client: DimseClient;
  /** A C-ECHO and C-STORE SCP that writes every accepted instance through `store`. */
  listen(options: StoreServerOptions): Promise<StoreServer>;
}

/** Common status words for a log line or an error sentence. */
export function statusName(status: number): string {
  if (status === 0) return 'success';
  if ((status & 0xff00) === 0xff00) return 'pending';
  if (status === 0xfe00) return 'cancelled';
  if ((status & 0xf000) === 0xb000 || status === 0x0107 || status === 0x0116) return 'warning';
  if ((status & 0xff00) === 0xa700 || status === 0x0122) return 'refused';
  return 'failed';
}

export const hex4 = (n: number) => `0x${n.toString(16).padStart(4, '0').toUpperCase()}`;
