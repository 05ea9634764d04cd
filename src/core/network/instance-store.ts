/**
 * Where received instances go. An instance is streamed into a temporary file (file meta group,
 * then the data set exactly as it arrived), its header checked, and renamed into
 * `studies/<Study UID>/<Series UID>/<SOP Instance UID>.dcm` before the sender is told it is
 * stored — so an acknowledged instance survives the process being killed (and, with `durability:
 * fsync`, a power cut). The same instance sent again with the same data set is a duplicate and
 * changes nothing.
 *
 * Architecture invariant: no whole study is ever in memory: an instance is written as its bytes
 * arrive; only its first bytes (`HEAD_BYTES`, for the header check) are kept until it is checked.
 *
 * Speed: the sender waits for each answer before it sends the next instance, so the time from an
 * instance's last byte to its answer is what limits throughput, and on a busy machine so does the
 * CPU time per instance. Per instance: one header parse of its first bytes, no hash, no copy of
 * the data set (the PDUs' bytes go straight to the file). Small file operations (rename, the
 * index line) are synchronous — they touch only the page cache, and each asynchronous call costs
 * a round trip through libuv's thread pool — while the flushes of `fsync` durability (the file's
 * data, then the directory entry) run asynchronously and keep the event loop free.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, fdatasync, fsync, mkdirSync, openSync, promises as fs, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { readInstance } from '../dicom/header.js';
import type { DataSet } from 'dicom-parser';
import { parseDicomBytes, parsedOffsetShift } from '../dicom/parse.js';
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
  /**
   * Changes whenever the stored content of this instance does (its size, and when and by which run
   * of the store it was written). Not a hash of its bytes: hashing every instance as it arrives
   * slowed receiving, and the content identity that matters is computed once, at analysis.
   */
  version: string;
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

/**
 * When an instance counts as stored, and so may be acknowledged:
 * - `rename` (default): it is complete under its final name in the operating system's cache — it
 *   survives the process being killed (SIGKILL, a crash of LungLens), not a power cut before the
 *   system writes it out (what DCMTK's storescp offers; it does not even rename);
 * - `fsync`: its data and its directory entry are flushed to the disk as well — it also survives
 *   the machine losing power. The flushes cost a disk round trip per instance, which a sender that
 *   waits for each answer pays in full (docs/benchmarks.md has the figures).
 */
export type Durability = 'fsync' | 'rename';

/**
 * The first bytes of a data set its header is checked from (a CT header is a few KB, one with large
 * private groups a few tens). A longer header is read back from the file.
 */
export const HEAD_BYTES = 64 * 1024;

/** An instance being received: written synchronously chunk by chunk (see `write`). */
export class IncomingInstance {
  /** Bytes of the data set received. */
  bytes = 0;
  private fd: number | null;
  /** The file meta group written in front of the data set. */
  private readonly metaHeader: Buffer = Buffer.alloc(0);
  /** The data set's first chunks (views of the PDUs they came in), at least `HEAD_BYTES` when there are so many. */
  private head: Buffer[] = [];
  private headBytes = 0;
  readonly refusal: { status: number; code: string; message: string } | null;

  constructor(readonly meta: IncomingMeta, readonly tempPath: string | null, refusal: IncomingInstance['refusal']) {
    this.refusal = refusal;
    this.fd = tempPath ? openSync(tempPath, 'wx', 0o600) : null;
    if (this.fd !== null) {
      this.metaHeader = fileMetaHeader({
        sopClassUid: meta.sopClassUid, sopInstanceUid: meta.sopInstanceUid, transferSyntaxUid: meta.transferSyntaxUid,
        sourceApplicationEntityTitle: meta.callingAeTitle,
      });
      writeSync(this.fd, this.metaHeader);
    }
  }

  /** The file's size once complete. */
  get fileBytes(): number {
    return this.metaHeader.length + this.bytes;
  }

  /** The file's first bytes: its meta group and up to `HEAD_BYTES` of the data set (the whole file when it is small). */
  headOfFile(): Buffer {
    return Buffer.concat([this.metaHeader, ...this.head], this.metaHeader.length + Math.min(this.headBytes, HEAD_BYTES));
  }

  /**
   * Appends a chunk of the data set. Synchronous on purpose: the network library hands chunks in
   * order from one event handler, and a write that returned before the bytes were in the file
   * could be overtaken by the next chunk or by the end of the data set. The bytes go to the file
   * as they arrive, so by the data set's last PDU only that PDU is left to write.
   */
  write(chunk: Uint8Array): void {
    this.bytes += chunk.length;
    if (this.fd === null) return;
    if (this.headBytes < HEAD_BYTES) {
      // A view, not a copy: each PDU arrives in a buffer of its own that nothing writes to again.
      this.head.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.headBytes += chunk.length;
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
    this.head = [];
  }

  closeQuietly(): void {
    if (this.fd !== null) {
      try { closeSync(this.fd); } catch { /* already closed */ }
      this.fd = null;
    }
  }
}

type Found = { kind: InstanceKind; study: string; series: string; sop: string; sopClass: string };

const PIXEL_DATA = 'x7fe00010';

function parse(bytes: Buffer, headerOnly: boolean): DataSet {
  try {
    return parseDicomBytes(bytes, { headerOnly });
  } catch (error) {
    throw new LungLensError('corrupt-file', error instanceof LungLensError ? error.message : 'The data set could not be parsed.');
  }
}

/**
 * Checks a received Part 10 file from its header — what it takes to accept or refuse it: it
 * parses, matches its command, names its study, series and instance, is a class we keep, and for
 * CT: modality CT, a transfer syntax LungLens reads, one sample per pixel, and pixel data as long
 * as rows × columns × frames say and wholly in the file. `head` is the file's start (or all of
 * it), `fileBytes` its size; `whole` reads the complete file, needed only when the header is
 * longer than `head`, or for compressed pixel data (whose last frame is looked for).
 * The data set is not parsed further: what the analysis needs is read there, once.
 */
function examine(head: Buffer, fileBytes: number, meta: { sopClassUid: string; sopInstanceUid: string } | null, whole: () => Buffer): Found {
  let bytes = head;
  let ds: DataSet | null = null;
  if (head.length < fileBytes) {
    try {
      ds = parseDicomBytes(head, { headerOnly: true });
    } catch {
      ds = null;
    }
    // The header goes on past the bytes kept (or the object has no pixel data): read it all.
    if (ds && !ds.elements[PIXEL_DATA]) ds = null;
    if (!ds) bytes = whole();
  }
  ds ??= parse(bytes, true);
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
    const modality = text('x00080060');
    if (modality !== 'CT') throw new LungLensError('unsupported-format', `The image's modality is ${modality || 'missing'}, not CT.`);
    const transferSyntax = text('x00020010') || '1.2.840.10008.1.2';
    if (!isSupportedTransferSyntax(transferSyntax)) throw new LungLensError('unsupported-transfer-syntax', `${transferSyntaxName(transferSyntax)} cannot be read.`);
    if ((ds.uint16('x00280002') ?? 1) !== 1) throw new LungLensError('unsupported-pixel-format', 'A CT image has one sample per pixel.');
    const pixels = ds.elements[PIXEL_DATA];
    const rows = ds.uint16('x00280010') ?? 0;
    const columns = ds.uint16('x00280011') ?? 0;
    const bitsAllocated = ds.uint16('x00280100') ?? 0;
    if (!pixels) throw new LungLensError('no-pixel-data', 'The image has no pixel data.');
    if (!rows || !columns || !bitsAllocated) throw new LungLensError('missing-attribute', 'The image lacks Rows, Columns or Bits Allocated.');
    if (pixels.hadUndefinedLength) {
      // Compressed: the last frame's fragments must be there — looked for in the whole file.
      const full = parse(bytes.length < fileBytes ? whole() : bytes, false);
      const inst = readInstance(full, '');
      frameBytes(full, inst.numberOfFrames - 1, inst.pixel, inst.numberOfFrames, inst.transferSyntaxUid);
    } else {
      const frames = Math.max(1, Number.parseInt(text('x00280008'), 10) || 1);
      const expected = Math.ceil((rows * columns * bitsAllocated) / 8) * frames;
      const offset = pixels.dataOffset - parsedOffsetShift(bytes);
      if (pixels.length < expected || offset + pixels.length > fileBytes) {
        throw new LungLensError('corrupt-file', `The pixel data holds ${Math.min(pixels.length, fileBytes - offset)} bytes; ${rows} × ${columns} × ${frames} pixels need ${expected}.`);
      }
    }
  }
  return { kind, study, series, sop, sopClass };
}

const UID = /^[0-9.]{1,64}$/;

/**
 * Checks a tiny generated CT image once, so the parser and the checks are loaded and compiled
 * before the first real instance (which would otherwise wait ≈ 0.1 s for them).
 */
function warmUp(): void {
  const bytes = writePart10({
    SOPClassUID: '1.2.840.10008.5.1.4.1.1.2', SOPInstanceUID: '2.25.1', StudyInstanceUID: '2.25.2', SeriesInstanceUID: '2.25.3', Modality: 'CT',
    SamplesPerPixel: 1, PhotometricInterpretation: 'MONOCHROME2', Rows: 4, Columns: 4, BitsAllocated: 16, BitsStored: 16, HighBit: 15,
    PixelRepresentation: 1, PixelData: new Int16Array(16),
  });
  examine(bytes.subarray(0, bytes.length - 8), bytes.length, null, () => bytes);
}

export class InstanceStore {
  /** SOP Instance UID → version, per series folder (loaded from the folder on first use). */
  private readonly known = new Map<string, Map<string, string>>();
  /** Series folders made by this store (so that each instance does not ask the disk again). */
  private readonly folders = new Set<string>();
  /** This run of the store, in its versions: a restart never repeats one. */
  private readonly run = `${Date.now().toString(36)}.${process.pid}`;
  private versions = 0;
  private listeners: ((instance: StoredInstance, outcome: 'stored' | 'replaced') => void)[] = [];
  /** Numbers the temporary files (incoming/ is emptied at each start). */
  private received = 0;

  private constructor(readonly root: string, private readonly log: NetworkLog, readonly durability: Durability) {}

  static async open(root: string, log: NetworkLog = silentLog, durability: Durability = 'rename'): Promise<InstanceStore> {
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

  /**
   * Checks a received instance's header, flushes it (with `fsync`) and renames it into place;
   * resolves before the sender may be told.
   */
  async commit(incoming: IncomingInstance): Promise<CommitOutcome> {
    if (incoming.refusal) {
      this.log('store-refused', { code: incoming.refusal.code, status: incoming.refusal.status, from: incoming.meta.callingAeTitle });
      return { outcome: 'refused', ...incoming.refusal };
    }
    const temp = incoming.tempPath!;
    try {
      // The flush to disk runs while the instance is checked.
      const flushed = incoming.finish(this.durability === 'fsync');
      let found: Found;
      try {
        found = examine(incoming.headOfFile(), incoming.fileBytes, incoming.meta, () => readFileSync(temp));
      } finally {
        incoming.release();
        await flushed;
      }
      return await this.place(temp, found, incoming.fileBytes, incoming.meta.callingAeTitle);
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
      const found = examine(bytes, bytes.length, null, () => bytes);
      await fs.writeFile(temp, bytes, { mode: 0o600 });
      if (this.durability === 'fsync') {
        const fh = await fs.open(temp, 'r+');
        await fh.datasync();
        await fh.close();
      }
      const outcome = await this.place(temp, found, bytes.length, from);
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

  private async place(temp: string, f: Found, fileBytes: number, from: string): Promise<CommitOutcome> {
    if (![f.study, f.series, f.sop].every((u) => UID.test(u))) throw new LungLensError('missing-attribute', 'A UID of the instance is not a UID.');
    const folder = this.seriesFolder(f.study, f.series);
    const known = await this.instancesIn(folder);
    const instance: StoredInstance = {
      studyInstanceUid: f.study, seriesInstanceUid: f.series, sopInstanceUid: f.sop, sopClassUid: f.sopClass, kind: f.kind,
      version: `${fileBytes}:${this.run}.${++this.versions}`, path: path.join(folder, `${f.sop}.dcm`),
    };
    const before = known.get(f.sop);
    // Only an instance we already hold is compared with what we hold (a study sent again).
    if (before !== undefined && sameDataSet(temp, instance.path)) {
      rmSync(temp, { force: true });
      this.log('store-duplicate', { series: uidKey(f.series), from });
      return { outcome: 'duplicate', status: 0, instance: { ...instance, version: before } };
    }
    if (!this.folders.has(folder)) {
      mkdirSync(folder, { recursive: true });
      this.folders.add(folder);
    }
    try {
      renameSync(temp, instance.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      // The series folder was removed while we ran (a study deleted): nothing in it is held now.
      known.clear();
      mkdirSync(folder, { recursive: true });
      renameSync(temp, instance.path);
    }
    if (this.durability === 'fsync') await this.syncDirectory(folder);
    appendFileSync(path.join(folder, INDEX), `${JSON.stringify({ sop: f.sop, v: instance.version, kind: f.kind, cls: f.sopClass })}\n`);
    known.set(f.sop, instance.version);
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

  /** The instances of a series folder and their versions (index, then any file it misses). */
  async instancesIn(folder: string): Promise<Map<string, string>> {
    let known = this.known.get(folder);
    if (known) return known;
    known = new Map();
    const lines = await fs.readFile(path.join(folder, INDEX), 'utf8').catch(() => '');
    for (const line of lines.split('\n')) {
      try {
        // `sha256`: stores written before versions replaced the per-instance hash.
        const e = JSON.parse(line) as { sop: string; v?: string; sha256?: string };
        known.set(e.sop, e.v ?? e.sha256 ?? '');
      } catch { /* a torn last line */ }
    }
    const files = await fs.readdir(folder).catch(() => [] as string[]);
    for (const name of files.filter((n) => n.endsWith('.dcm'))) {
      const sop = name.slice(0, -4);
      if (!known.has(sop)) {
        // Renamed into place, then the process stopped before the index line was written.
        const st = await fs.stat(path.join(folder, name));
        known.set(sop, `${st.size}:${st.mtimeMs}`);
      }
    }
    this.known.set(folder, known);
    return known;
  }
}

export const INDEX = '.instances.jsonl';

/** Whether two Part 10 files hold the same data set (their file meta groups may differ). */
function sameDataSet(a: string, b: string): boolean {
  try {
    const x = readFileSync(a);
    const y = readFileSync(b);
    return x.subarray(dataSetOffset(x)).equals(y.subarray(dataSetOffset(y)));
  } catch {
    return false;
  }
}

/** Where the data set starts after the preamble and file meta group (0 when there is none). */
export function dataSetOffset(bytes: Buffer): number {
  if (bytes.length < 144 || bytes.toString('latin1', 128, 132) !== 'DICM') return 0;
  // (0002,0000) UL group length, explicit VR: tag(4) VR(2) len(2) value(4) at 132.
  if (bytes.readUInt16LE(132) !== 0x0002 || bytes.readUInt16LE(134) !== 0x0000) return 132;
  return 144 + bytes.readUInt32LE(140);
}


