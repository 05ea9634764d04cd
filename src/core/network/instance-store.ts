/**
 * Where received instances go. An instance is streamed into a temporary file (file meta group,
 * then the data set exactly as it arrived), checked, fsynced and renamed into
 * `studies/<Study UID>/<Series UID>/<SOP Instance UID>.dcm` before the sender is told it is
 * stored — so an acknowledged instance survives the process being killed. The same instance sent
 * again with the same content is a duplicate and changes nothing.
 *
 * Architecture invariant: no whole study is ever in memory: an instance is written as its bytes
 * arrive and is also kept in memory until it is checked — one instance per association, up to
 * `KEEP_IN_MEMORY_BYTES` (a larger one is read back from its file instead).
 *
 * Speed: the sender waits for each answer before it sends the next instance, so the time from an
 * instance's last byte to its answer is what limits throughput. Small file operations (rename,
 * the index line) are synchronous — they touch only the page cache, and each asynchronous call
 * costs a round trip through libuv's thread pool — while the two flushes to disk (the file's
 * data, then the directory entry) run asynchronously and keep the event loop free.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { appendFileSync, closeSync, fdatasync, fsync, mkdirSync, openSync, promises as fs, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { readInstance } from '../dicom/header.js';
import { parseDicomBytes } from '../dicom/parse.js';
import { frameBytes, isSupportedTransferSyntax, transferSyntaxName } from '../dicom/pixels/index.js';
import { fileMetaHeader, writePart10 } from '../dicom/write/index.js';
import { LungLensError } from '../errors.js';
import { uidKey, type NetworkLog, silentLog } from './log.js';
import { instanceKind, type InstanceKind } from './sop-classes.js';

/** C-STORE status codes (PS3.4 Annex B.2.3, PS3.7 Annex C). */
export const STORE_STATUS = {
  success: 0x0000,
  /** Refused: SOP Class not supported. */
  sopClassNotSupported: 0x0122,
  /** Refused: out of resources. */
  outOfResources: 0xa700,
  /** Error: data set does not match SOP class. */
  dataSetMismatch: 0xa900,
  /** Error: cannot understand. */
  cannotUnderstand: 0xc000,
} as const;

export interface StoredInstance {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  sopClassUid: string;
  kind: InstanceKind;
  sha256: string;
  path: string;
}

export type CommitOutcome =
  | { outcome: 'stored' | 'replaced' | 'duplicate'; status: 0; instance: StoredInstance }
  | { outcome: 'refused'; status: number; code: string; message: string };

/** What the command of a C-STORE says the data set is. */
export interface IncomingMeta {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  callingAeTitle: string;
}

/** An instance being received: written synchronously chunk by chunk (see `write`). */
/**
 * When an instance counts as stored, and so may be acknowledged:
 * - `fsync` (default): its data and its directory entry are flushed to the disk — it survives the
 *   process being killed and the machine losing power;
 * - `rename`: it is complete under its final name in the operating system's cache — it survives
 *   the process being killed (SIGKILL, a crash of LungLens), not a power cut before the system
 *   writes it out (what DCMTK's storescp offers; it does not even rename).
 * The flushes cost a disk round trip per instance, which a sender that waits for each answer pays
 * in full (docs/benchmarks.md has the figures).
 */
export type Durability = 'fsync' | 'rename';

/** An instance larger than this (a big multi-frame image) is read back from its file to be checked. */
export const KEEP_IN_MEMORY_BYTES = 64 * 1024 * 1024;

export class IncomingInstance {
  readonly hash: Hash = createHash('sha256');
  bytes = 0;
  private fd: number | null;
  private head: Buffer = Buffer.alloc(0);
  private chunks: Buffer[] | null = [];
  readonly refusal: { status: number; code: string; message: string } | null;

  constructor(readonly meta: IncomingMeta, readonly tempPath: string | null, refusal: IncomingInstance['refusal']) {
    this.refusal = refusal;
    this.fd = tempPath ? openSync(tempPath, 'wx', 0o600) : null;
    if (this.fd !== null) {
      this.head = fileMetaHeader({
        sopClassUid: meta.sopClassUid, sopInstanceUid: meta.sopInstanceUid, transferSyntaxUid: meta.transferSyntaxUid,
        sourceApplicationEntityTitle: meta.callingAeTitle,
      });
      writeSync(this.fd, this.head);
    }
  }

  /** The whole Part 10 file as written: from memory, or read back when it was too large to keep. */
  contents(): Buffer {
    if (this.chunks) return Buffer.concat([this.head, ...this.chunks]);
    return readFileSync(this.tempPath!);
  }

  /**
   * Appends a chunk of the data set. Synchronous on purpose: the network library hands chunks in
   * order from one event handler, and a write that returned before the bytes were in the file
   * could be overtaken by the next chunk or by the end of the data set.
   */
  write(chunk: Uint8Array): void {
    this.bytes += chunk.length;
    if (this.fd === null) return;
    this.hash.update(chunk);
    if (this.chunks) {
      // A view, not a copy: each PDU arrives in a buffer of its own that nothing writes to again.
      if (this.bytes <= KEEP_IN_MEMORY_BYTES) this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      else this.chunks = null;
    }
    let off = 0;
    while (off < chunk.length) off += writeSync(this.fd, chunk, off, chunk.length - off);
  }

  /** Flushes the temporary file to disk (unless `flush` is false) and closes it. */
  async finish(flush = true): Promise<void> {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    if (!flush) {
      closeSync(fd);
      return;
    }
    // The callback form keeps the event loop free while the disk flushes.
    await new Promise<void>((resolve, reject) => fdatasync(fd, (e) => (e ? reject(e) : resolve())));
    closeSync(fd);
  }

  /** Frees the bytes kept in memory. */
  release(): void {
    this.chunks = null;
  }

  closeQuietly(): void {
    if (this.fd !== null) {
      try { closeSync(this.fd); } catch { /* already closed */ }
      this.fd = null;
    }
  }
}

/** Checks a received Part 10 file: parses, matches the command, and for CT, that the image is whole. */
function examine(bytes: Buffer, meta: { sopClassUid: string; sopInstanceUid: string } | null): { kind: InstanceKind; study: string; series: string; sop: string; sopClass: string } {
  let ds;
  try {
    ds = parseDicomBytes(bytes);
  } catch (error) {
    throw new LungLensError('corrupt-file', error instanceof LungLensError ? error.message : 'The data set could not be parsed.');
  }
  const text = (tag: string) => (ds.string(tag) ?? '').replace(/\0/g, '').trim();
  const sopClass = text('x00080016');
  const sop = text('x00080018');
  const study = text('x0020000d');
  const series = text('x0020000e');
  if (meta && (sopClass !== meta.sopClassUid || sop !== meta.sopInstanceUid)) {
    throw new LungLensError('inconsistent-series', 'The data set names another SOP class or instance than its C-STORE command.');
  }
  if (!sop || !study || !series) throw new LungLensError('missing-attribute', 'The data set lacks its SOP Instance, Study Instance or Series Instance UID.');
  const kind = instanceKind(sopClass);
  if (kind === null) throw new LungLensError('unsupported-format', `SOP class ${sopClass} is not a CT image, segmentation or report.`);
  if (kind === 'ct') {
    const inst = readInstance(ds, '');
    if (inst.modality !== 'CT') throw new LungLensError('unsupported-format', `The image's modality is ${inst.modality || 'missing'}, not CT.`);
    if (!isSupportedTransferSyntax(inst.transferSyntaxUid)) throw new LungLensError('unsupported-transfer-syntax', `${transferSyntaxName(inst.transferSyntaxUid)} cannot be read.`);
    if (inst.pixel.samplesPerPixel !== 1) throw new LungLensError('unsupported-pixel-format', 'A CT image has one sample per pixel.');
    // The last frame's bytes must be there: a truncated or fragment-less image is refused now, not at analysis.
    frameBytes(ds, inst.numberOfFrames - 1, inst.pixel, inst.numberOfFrames, inst.transferSyntaxUid);
  }
  return { kind, study, series, sop, sopClass };
}

const UID = /^[0-9.]{1,64}$/;

/**
 * Checks a tiny generated CT image once, so the parser and the checks are loaded and compiled
 * before the first real instance (which would otherwise wait ≈ 0.1 s for them).
 */
function warmUp(): void {
  examine(writePart10({
    SOPClassUID: '1.2.840.10008.5.1.4.1.1.2', SOPInstanceUID: '2.25.1', StudyInstanceUID: '2.25.2', SeriesInstanceUID: '2.25.3', Modality: 'CT',
    SamplesPerPixel: 1, PhotometricInterpretation: 'MONOCHROME2', Rows: 4, Columns: 4, BitsAllocated: 16, BitsStored: 16, HighBit: 15,
    PixelRepresentation: 1, PixelData: new Int16Array(16),
  }), null);
}

export class InstanceStore {
  /** SOP Instance UID → content hash, per series folder (loaded from the folder on first use). */
  private readonly known = new Map<string, Map<string, string>>();
  private listeners: ((instance: StoredInstance, outcome: 'stored' | 'replaced') => void)[] = [];
  /** Numbers the temporary files (incoming/ is emptied at each start). */
  private received = 0;

  private constructor(readonly root: string, private readonly log: NetworkLog, readonly durability: Durability) {}

  static async open(root: string, log: NetworkLog = silentLog, durability: Durability = 'fsync'): Promise<InstanceStore> {
    await fs.mkdir(path.join(root, 'incoming'), { recursive: true });
    await fs.mkdir(path.join(root, 'studies'), { recursive: true });
    // Anything left in incoming/ was never acknowledged: its sender was told nothing, or an error.
    for (const name of await fs.readdir(path.join(root, 'incoming'))) await fs.rm(path.join(root, 'incoming', name), { recursive: true, force: true });
    warmUp();
    return new InstanceStore(root, log, durability);
  }

  /** Called after an instance is stored (not for duplicates); returns the way to stop listening. */
  onStored(listener: (instance: StoredInstance, outcome: 'stored' | 'replaced') => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  seriesFolder(studyInstanceUid: string, seriesInstanceUid: string): string {
    return path.join(this.root, 'studies', studyInstanceUid, seriesInstanceUid);
  }

  /**
   * Starts receiving an instance. A SOP class we never keep is refused up front: its bytes are
   * counted and dropped, nothing touches the disk.
   */
  begin(meta: IncomingMeta): IncomingInstance {
    if (instanceKind(meta.sopClassUid) === null) {
      return new IncomingInstance(meta, null, { status: STORE_STATUS.sopClassNotSupported, code: 'sop-class-not-supported', message: `SOP class ${meta.sopClassUid} is not a CT image, segmentation or report.` });
    }
    if (!UID.test(meta.sopInstanceUid)) {
      return new IncomingInstance(meta, null, { status: STORE_STATUS.dataSetMismatch, code: 'bad-uid', message: 'The SOP Instance UID is not a UID.' });
    }
    return new IncomingInstance(meta, path.join(this.root, 'incoming', `${process.pid}-${++this.received}.part`), null);
  }

  /** Drops an instance whose association ended before its data set did. */
  async abandon(incoming: IncomingInstance): Promise<void> {
    incoming.closeQuietly();
    if (incoming.tempPath) await fs.rm(incoming.tempPath, { force: true });
  }

  /** Checks, fsyncs and renames a received instance into place; resolves before the sender may be told. */
  async commit(incoming: IncomingInstance): Promise<CommitOutcome> {
    if (incoming.refusal) {
      this.log('store-refused', { code: incoming.refusal.code, status: incoming.refusal.status, from: incoming.meta.callingAeTitle });
      return { outcome: 'refused', ...incoming.refusal };
    }
    const temp = incoming.tempPath!;
    try {
      // The flush to disk runs while the instance is checked.
      const flushed = incoming.finish(this.durability === 'fsync');
      let found: ReturnType<typeof examine>;
      try {
        found = examine(incoming.contents(), incoming.meta);
      } finally {
        incoming.release();
        await flushed;
      }
      return await this.place(temp, found, incoming.hash.digest('hex'), incoming.meta.callingAeTitle);
    } catch (error) {
      await this.abandon(incoming);
      return this.refusal(error, incoming.meta.callingAeTitle);
    }
  }

  /**
   * Takes a complete Part 10 file received some other way (DCMTK's storescp, WADO-RS) into the
   * store, with the same checks; the source file is moved (renamed) when it is on the same disk.
   */
  async adopt(file: string, from = 'file'): Promise<CommitOutcome> {
    const temp = path.join(this.root, 'incoming', `${randomBytes(8).toString('hex')}.part`);
    try {
      const bytes = await fs.readFile(file);
      const found = examine(bytes, null);
      await fs.writeFile(temp, bytes, { mode: 0o600 });
      const fh = await fs.open(temp, 'r+');
      await fh.datasync();
      await fh.close();
      const outcome = await this.place(temp, found, createHash('sha256').update(bytes.subarray(dataSetOffset(bytes))).digest('hex'), from);
      await fs.rm(file, { force: true });
      return outcome;
    } catch (error) {
      await fs.rm(temp, { force: true });
      return this.refusal(error, from);
    }
  }

  private refusal(error: unknown, from: string): CommitOutcome {
    const e = error instanceof LungLensError ? error : null;
    const code = e?.code ?? 'store-failed';
    const status = code === 'unsupported-format' || code === 'inconsistent-series' || code === 'missing-attribute'
      ? STORE_STATUS.dataSetMismatch
      : e ? STORE_STATUS.cannotUnderstand : STORE_STATUS.outOfResources;
    // The message may quote header values; the log keeps the code only.
    this.log('store-refused', { code, status, from });
    return { outcome: 'refused', status, code, message: e?.message ?? 'The instance could not be written to disk.' };
  }

  private async place(temp: string, f: ReturnType<typeof examine>, sha256: string, from: string): Promise<CommitOutcome> {
    if (![f.study, f.series, f.sop].every((u) => UID.test(u))) throw new LungLensError('missing-attribute', 'A UID of the instance is not a UID.');
    const folder = this.seriesFolder(f.study, f.series);
    const known = await this.instancesIn(folder);
    const instance: StoredInstance = {
      studyInstanceUid: f.study, seriesInstanceUid: f.series, sopInstanceUid: f.sop, sopClassUid: f.sopClass, kind: f.kind, sha256,
      path: path.join(folder, `${f.sop}.dcm`),
    };
    const before = known.get(f.sop);
    if (before === sha256) {
      rmSync(temp, { force: true });
      this.log('store-duplicate', { series: uidKey(f.series), from });
      return { outcome: 'duplicate', status: 0, instance };
    }
    mkdirSync(folder, { recursive: true });
    renameSync(temp, instance.path);
    if (this.durability === 'fsync') await this.syncDirectory(folder);
    appendFileSync(path.join(folder, INDEX), `${JSON.stringify({ sop: f.sop, sha256, kind: f.kind, cls: f.sopClass })}\n`);
    known.set(f.sop, sha256);
    const outcome = before === undefined ? 'stored' : 'replaced';
    this.log(`store-${outcome}`, { series: uidKey(f.series), kind: f.kind, from });
    for (const l of this.listeners) l(instance, outcome);
    return { outcome, status: 0, instance };
  }

  /** Directory descriptors kept open for the flush after each rename (a series' folder is flushed hundreds of times). */
  private readonly dirFds = new Map<string, number>();

  private async syncDirectory(dir: string): Promise<void> {
    let fd = this.dirFds.get(dir);
    if (fd === undefined) {
      if (this.dirFds.size >= 64) this.closeDirectories();
      fd = openSync(dir, 'r');
      this.dirFds.set(dir, fd);
    }
    const dirFd = fd;
    await new Promise<void>((resolve, reject) => fsync(dirFd, (e) => (e ? reject(e) : resolve())));
  }

  /** Closes the descriptors kept for flushing directories (the store stays usable). */
  closeDirectories(): void {
    for (const fd of this.dirFds.values()) {
      try { closeSync(fd); } catch { /* already closed */ }
    }
    this.dirFds.clear();
  }

  /** The instances of a series folder and their content hashes (index, then any file it misses). */
  async instancesIn(folder: string): Promise<Map<string, string>> {
    let known = this.known.get(folder);
    if (known) return known;
    known = new Map();
    const lines = await fs.readFile(path.join(folder, INDEX), 'utf8').catch(() => '');
    for (const line of lines.split('\n')) {
      try {
        const e = JSON.parse(line) as { sop: string; sha256: string };
        known.set(e.sop, e.sha256);
      } catch { /* a torn last line */ }
    }
    const files = await fs.readdir(folder).catch(() => [] as string[]);
    for (const name of files.filter((n) => n.endsWith('.dcm'))) {
      const sop = name.slice(0, -4);
      if (!known.has(sop)) {
        const bytes = await fs.readFile(path.join(folder, name));
        known.set(sop, createHash('sha256').update(bytes.subarray(dataSetOffset(bytes))).digest('hex'));
      }
    }
    this.known.set(folder, known);
    return known;
  }
}

export const INDEX = '.instances.jsonl';

/** Where the data set starts after the preamble and file meta group (0 when there is none). */
export function dataSetOffset(bytes: Buffer): number {
  if (bytes.length < 144 || bytes.toString('latin1', 128, 132) !== 'DICM') return 0;
  // (0002,0000) UL group length, explicit VR: tag(4) VR(2) len(2) value(4) at 132.
  if (bytes.readUInt16LE(132) !== 0x0002 || bytes.readUInt16LE(134) !== 0x0000) return 132;
  return 144 + bytes.readUInt32LE(140);
}


