/**
 * The built-in DIMSE implementation, on dcmjs-dimse (MIT, maintained; the only Node DIMSE library
 * with streaming C-STORE reception). The listener owns its TCP server (bind address, port 0 for
 * tests) and hands each connection to a dcmjs-dimse `Scp` whose C-STORE data sets are streamed
 * into the instance store through `createStoreWritableStream`, never buffered whole.
 */
import net from 'node:net';
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import type * as Dimse from 'dcmjs-dimse';
import { encodeDataset, LUNGLENS_IMPLEMENTATION_CLASS_UID, LUNGLENS_IMPLEMENTATION_VERSION_NAME } from '../dicom/write/index.js';
import { LungLensError } from '../errors.js';
import { formatPeer, type Peer } from './config.js';
import {
  hex4, statusName,
  type Caller, type DimseClient, type DimseImplementation, type MoveOutcome, type MoveTarget, type SeriesMatch, type StoreOutcome,
  type StoreServer, type StoreServerOptions, type StudyMatch, type StudyQuery,
} from './dimse.js';
import type { IncomingInstance } from './instance-store.js';
import { isStorageClass, VERIFICATION } from './sop-classes.js';
import { chooseTransferSyntax, UNCOMPRESSED } from './transfer-syntaxes.js';

const dimse = createRequire(import.meta.url)('dcmjs-dimse') as typeof Dimse;
const { Client, Scp, Dataset, Implementation, constants, requests, responses } = dimse;
const { PresentationContextResult, RejectResult, RejectSource, RejectReason, Status } = constants;

// The library logs association details (AE titles, UIDs) at info level; our own log says what matters.
dimse.log.setLevel(process.env['DIMSE_DEBUG'] ? 'trace' : 'silent');
Implementation.setImplementationClassUid(LUNGLENS_IMPLEMENTATION_CLASS_UID);
Implementation.setImplementationVersion(LUNGLENS_IMPLEMENTATION_VERSION_NAME);
/** Larger PDUs mean fewer chunks per slice (a 512² CT slice is 0.5 MB). */
const MAX_PDU = 64 * 1024;
Implementation.setMaxPduLength(MAX_PDU);

const trimAe = (s: string) => s.trim();

/**
 * A C-STORE-RSP command set (PS3.7 §9.3.1.2) in implicit VR little endian, as the response must be
 * sent. Written with our own encoder: dcmjs's generic writer, which dcmjs-dimse uses, allocated and
 * copied buffers for ≈ 2.4 ms per response here — more than receiving the 0.5 MB slice it answers.
 */
export function storeResponseCommand(r: { sopClassUid: string; sopInstanceUid: string; messageId: number; status: number; comment?: string }): Buffer {
  const elements = encodeDataset([
    { tag: 0x00000002, vr: 'UI', value: r.sopClassUid },
    { tag: 0x00000100, vr: 'US', value: 0x8001 },
    { tag: 0x00000120, vr: 'US', value: r.messageId },
    { tag: 0x00000800, vr: 'US', value: 0x0101 },
    { tag: 0x00000900, vr: 'US', value: r.status },
    // LO in the command set's default character set: printable ASCII without a backslash.
    ...(r.comment ? [{ tag: 0x00000902, vr: 'LO' as const, value: r.comment.replace(/[^\x20-\x5b\x5d-\x7e]/g, '?').slice(0, 64).trim() }] : []),
    { tag: 0x00001000, vr: 'UI', value: r.sopInstanceUid },
  ], { explicitVR: false });
  const groupLength = Buffer.alloc(12);
  groupLength.writeUInt32LE(0x00000000, 0);
  groupLength.writeUInt32LE(4, 4);
  groupLength.writeUInt32LE(elements.length, 8);
  return Buffer.concat([groupLength, elements]);
}

/** The SCP class for one listener, closed over its options (dcmjs-dimse makes one instance per connection). */
function scpClass(o: StoreServerOptions) {
  return class LungLensScp extends Scp {
    private readonly incoming = new Map<Dimse.requests.CStoreRequest, IncomingInstance>();
    private callingAeTitle = '';

    constructor(socket: net.Socket, opts?: ConstructorParameters<typeof Scp>[1]) {
      super(socket, opts);
      // Whatever ends the connection, an instance in flight was never acknowledged: drop it.
      const dropInFlight = () => {
        for (const inst of this.incoming.values()) void o.store.abandon(inst);
        this.incoming.clear();
      };
      this.on('close', dropInFlight);
      this.on('networkError', () => {
        o.log('association-error', { from: this.callingAeTitle || 'unknown' });
        dropInFlight();
        socket.destroy();
      });
    }

    override associationRequested(association: Dimse.association.Association): void {
      this.callingAeTitle = trimAe(association.getCallingAeTitle());
      const called = trimAe(association.getCalledAeTitle());
      if (called !== o.aeTitle) {
        o.log('association-rejected', { reason: 'called-ae-not-recognized', from: this.callingAeTitle });
        this.sendAssociationReject(RejectResult.Permanent, RejectSource.ServiceUser, RejectReason.CalledAeNotRecognized);
        return;
      }
      if (!o.isAllowed(this.callingAeTitle)) {
        o.log('association-rejected', { reason: 'calling-ae-not-recognized', from: this.callingAeTitle });
        this.sendAssociationReject(RejectResult.Permanent, RejectSource.ServiceUser, RejectReason.CallingAeNotRecognized);
        return;
      }
      association.setMaxPduLength(MAX_PDU);
      for (const { id } of association.getPresentationContexts()) {
        const context = association.getPresentationContext(id);
        const abstract = context.getAbstractSyntaxUid();
        const proposed = context.getTransferSyntaxUids();
        if (abstract === VERIFICATION) {
          const ts = UNCOMPRESSED.find((t) => proposed.includes(t));
          if (ts) context.setResult(PresentationContextResult.Accept, ts);
          else context.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
        } else if (isStorageClass(abstract)) {
          // Every storage class is negotiated, so an instance we do not keep gets its own refusal status.
          const ts = chooseTransferSyntax(proposed);
          if (ts) context.setResult(PresentationContextResult.Accept, ts);
          else context.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
        } else {
          context.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported);
        }
      }
      o.log('association-accepted', { from: this.callingAeTitle });
      this.sendAssociationAccept();
    }

    override associationReleaseRequested(): void {
      this.sendAssociationReleaseResponse();
    }

    override abort(): void {
      o.log('association-aborted', { from: this.callingAeTitle });
    }

    override cEchoRequest(request: Dimse.requests.CEchoRequest, callback: (r: Dimse.responses.CEchoResponse) => void): void {
      const response = responses.CEchoResponse.fromRequest(request);
      response.setStatus(Status.Success);
      callback(response);
    }

    override createStoreWritableStream(context: Dimse.association.PresentationContext, request: Dimse.requests.CStoreRequest): Writable {
      const incoming = o.store.begin({
        sopClassUid: request.getAffectedSopClassUid(),
        sopInstanceUid: request.getAffectedSopInstanceUid(),
        transferSyntaxUid: context.getAcceptedTransferSyntaxUid() ?? '',
        callingAeTitle: this.callingAeTitle,
      });
      this.incoming.set(request, incoming);
      return new Writable({
        // Above any PDV, so write() never asks the library to wait for 'drain' (it would not wait in order).
        highWaterMark: 4 * MAX_PDU,
        write(chunk: Buffer, _encoding, done) {
          try {
            incoming.write(chunk);
            done();
          } catch (error) {
            done(error as Error);
          }
        },
      });
    }

    /** One empty data set per transfer syntax, shared by every request of the association (nothing writes to it). */
    private readonly emptyDatasets = new Map<string, Dimse.Dataset>();

    override createDatasetFromStoreWritableStream(_writable: Writable, context: Dimse.association.PresentationContext, callback: (dataset: Dimse.Dataset) => void): void {
      // The data set is on disk; the request carries an empty one. Called back at once: the library
      // expects it before the next PDU (which may already be the next C-STORE command).
      const ts = context.getAcceptedTransferSyntaxUid() ?? '';
      let empty = this.emptyDatasets.get(ts);
      if (!empty) {
        empty = new Dataset({}, ts);
        this.emptyDatasets.set(ts, empty);
      }
      callback(empty);
    }

    override cStoreRequest(request: Dimse.requests.CStoreRequest, callback: (r: Dimse.responses.CStoreResponse) => void): void {
      const incoming = this.incoming.get(request);
      this.incoming.delete(request);
      const respond = (status: number, comment?: string) => {
        const response = responses.CStoreResponse.fromRequest(request);
        response.setStatus(status);
        if (comment) response.setErrorComment(comment.slice(0, 64));
        try {
          const encoded = storeResponseCommand({
            sopClassUid: request.getAffectedSopClassUid(), sopInstanceUid: request.getAffectedSopInstanceUid(),
            messageId: request.getMessageId(), status, ...(comment ? { comment } : {}),
          });
          Object.assign(response.getCommandDataset(), { getDenaturalizedCommandDataset: () => encoded });
        } catch {
          // A UID our encoder refuses: the library's own (slower) encoder answers instead.
        }
        callback(response);
      };
      if (!incoming) {
        respond(0xc000, 'No data set was received.');
        return;
      }
      // Answered only once the instance is fsynced and renamed (or refused).
      void o.store.commit(incoming).then(
        (r) => respond(r.status, r.outcome === 'refused' ? r.message : undefined),
        () => respond(0xa700, 'The instance could not be stored.'),
      );
    }
  };
}

async function listen(o: StoreServerOptions): Promise<StoreServer> {
  const Cls = scpClass(o);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.setNoDelay(true);
    const scp = new Cls(socket, { associationTimeout: 30_000, pduTimeout: 60_000 });
    // As dcmjs-dimse's own Server does: an accepted socket is connected (its timeouts count from now).
    Object.assign(scp, { connected: true, connectedTime: Date.now() });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new LungLensError('network', `The DICOM listener cannot listen on ${o.bindAddress}:${o.port}: ${e.code === 'EADDRINUSE' ? 'the port is in use' : e.message}.`)));
    server.listen(o.port, o.bindAddress, () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  o.log('listening', { port: address.port, ae: o.aeTitle });
  return {
    port: address.port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    }),
  };
}

/** Runs requests on one association and resolves when it is released (or rejects with a sentence). */
function associate(peer: Peer, caller: Caller, add: (client: Dimse.Client) => void, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let failed: Error | null = null;
    add(client);
    client.on('associationRejected', (r: { result: number; source: number; reason: number }) => {
      const reason = r.reason === RejectReason.CallingAeNotRecognized ? 'our calling AE title is not known there'
        : r.reason === RejectReason.CalledAeNotRecognized ? 'its AE title is not the one configured' : `reason ${r.reason}`;
      failed = new LungLensError('network', `${formatPeer(peer)} rejected the association for ${what}: ${reason}.`);
    });
    client.on('networkError', (e: Error) => {
      failed ??= new LungLensError('network', `${what} with ${formatPeer(peer)} failed: ${e.message.replace(/^.*-> /, '')}.`);
    });
    client.on('closed', () => (failed ? reject(failed) : resolve()));
    const timeout = caller.timeoutMs ?? 30_000;
    client.send(peer.host, peer.port, caller.aeTitle, peer.aeTitle, { connectTimeout: timeout, associationTimeout: timeout, pduTimeout: timeout });
  });
}

const str = (v: unknown): string => {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.map(str).join('\\');
  if (typeof v === 'object' && 'Alphabetic' in (v as object)) return String((v as { Alphabetic: unknown }).Alphabetic ?? '');
  return String(v);
};
const num = (v: unknown): number | null => {
  const n = Number(str(v));
  return str(v) !== '' && Number.isFinite(n) ? n : null;
};

async function find<T>(peer: Peer, caller: Caller, request: Dimse.requests.CFindRequest, map: (e: Record<string, unknown>) => T, what: string): Promise<T[]> {
  const out: T[] = [];
  let finalStatus: number | null = null;
  await associate(peer, caller, (client) => {
    request.on('response', (r: Dimse.responses.CFindResponse) => {
      const status = r.getStatus();
      if ((status === Status.Pending || status === 0xff01) && r.hasDataset()) out.push(map(r.getDataset()!.getElements()));
      else if (status !== Status.Pending && status !== 0xff01) finalStatus = status;
    });
    client.addRequest(request);
  }, what);
  if (finalStatus === null) throw new LungLensError('network', `${formatPeer(peer)} ended the ${what} without a final status.`);
  if (finalStatus !== 0) throw new LungLensError('network', `${formatPeer(peer)} answered the ${what} with ${statusName(finalStatus)} (${hex4(finalStatus)}).`);
  return out;
}

const client: DimseClient = {
  async echo(peer, caller) {
    let status: number | null = null;
    await associate(peer, caller, (c) => {
      const request = new requests.CEchoRequest();
      request.on('response', (r: Dimse.responses.CEchoResponse) => (status = r.getStatus()));
      c.addRequest(request);
    }, 'C-ECHO');
    if (status !== 0) throw new LungLensError('network', `${formatPeer(peer)} answered C-ECHO with ${status === null ? 'nothing' : hex4(status)}.`);
  },

  findStudies(peer, caller, q: StudyQuery): Promise<StudyMatch[]> {
    const keys: Record<string, string> = {
      PatientID: q.patientId ?? '', PatientName: q.patientName ?? '', AccessionNumber: q.accessionNumber ?? '',
      StudyDate: q.studyDate ?? '', ModalitiesInStudy: q.modality ?? '', StudyInstanceUID: q.studyInstanceUid ?? '',
    };
    return find(peer, caller, requests.CFindRequest.createStudyFindRequest(keys), (e) => ({
      studyInstanceUid: str(e['StudyInstanceUID']), patientName: str(e['PatientName']), patientId: str(e['PatientID']),
      studyDate: str(e['StudyDate']), studyTime: str(e['StudyTime']), accessionNumber: str(e['AccessionNumber']),
      studyDescription: str(e['StudyDescription']), modalitiesInStudy: str(e['ModalitiesInStudy']).split('\\').filter(Boolean),
      numberOfSeries: num(e['NumberOfStudyRelatedSeries']), numberOfInstances: num(e['NumberOfStudyRelatedInstances']),
    }), 'study query (C-FIND)');
  },

  findSeries(peer, caller, studyInstanceUid): Promise<SeriesMatch[]> {
    return find(peer, caller, requests.CFindRequest.createSeriesFindRequest({ StudyInstanceUID: studyInstanceUid }), (e) => ({
      studyInstanceUid: str(e['StudyInstanceUID']), seriesInstanceUid: str(e['SeriesInstanceUID']), modality: str(e['Modality']),
      seriesNumber: num(e['SeriesNumber']), seriesDescription: str(e['SeriesDescription']), numberOfInstances: num(e['NumberOfSeriesRelatedInstances']),
    }), 'series query (C-FIND)');
  },

  async move(peer, caller, target: MoveTarget, destinationAeTitle): Promise<MoveOutcome> {
    let last: MoveOutcome | null = null;
    await associate(peer, caller, (c) => {
      const request = target.seriesInstanceUid
        ? requests.CMoveRequest.createSeriesMoveRequest(destinationAeTitle, target.studyInstanceUid, target.seriesInstanceUid)
        : requests.CMoveRequest.createStudyMoveRequest(destinationAeTitle, target.studyInstanceUid);
      request.on('response', (r: Dimse.responses.CMoveResponse) => {
        if (r.getStatus() === Status.Pending) return;
        last = { status: r.getStatus(), completed: r.getCompleted() ?? 0, failed: r.getFailures() ?? 0, warning: r.getWarnings() ?? 0 };
      });
      c.addRequest(request);
    }, 'retrieve (C-MOVE)');
    if (last === null) throw new LungLensError('network', `${formatPeer(peer)} ended the retrieve (C-MOVE) without a final status.`);
    const outcome: MoveOutcome = last;
    if (outcome.status !== 0 && statusName(outcome.status) !== 'warning') {
      throw new LungLensError('network', `${formatPeer(peer)} answered the retrieve (C-MOVE) with ${statusName(outcome.status)} (${hex4(outcome.status)}${outcome.status === 0xa801 ? `: it does not know the destination ${destinationAeTitle}` : ''}).`);
    }
    return outcome;
  },

  async store(peer, caller, files): Promise<StoreOutcome[]> {
    const outcomes: StoreOutcome[] = files.map((file) => ({ file, sopInstanceUid: '', status: null, ok: false }));
    await associate(peer, caller, (c) => {
      files.forEach((file, i) => {
        const request = new requests.CStoreRequest(file);
        request.on('response', (r: Dimse.responses.CStoreResponse) => {
          const status = r.getStatus();
          outcomes[i] = { file, sopInstanceUid: request.getAffectedSopInstanceUid() ?? '', status, ok: status === 0 || statusName(status) === 'warning', ...(status !== 0 ? { message: r.getErrorComment() || statusName(status) } : {}) };
        });
        c.addRequest(request);
      });
    }, 'C-STORE');
    return outcomes;
  },
};

export const dcmjsDimse: DimseImplementation = { name: 'dcmjs-dimse', client, listen };
