/**
 * The same DIMSE interface on DCMTK's command-line tools (echoscu, findscu, movescu, storescu,
 * storescp), for sites that trust them more than a JavaScript stack.
 *
 * The listener runs storescp on an internal loopback port behind a small TCP front on the
 * configured bind address and port. The front reads the A-ASSOCIATE-RQ, rejects a calling AE
 * title that is not allowed (storescp has no such list) and otherwise passes the connection
 * through. storescp writes each instance before it answers; the front's process then takes the
 * file into the instance store (checked, fsynced, renamed). Differences from the built-in
 * listener, said plainly: storescp acknowledges before our checks, so a corrupt or non-CT
 * instance is dropped with a log line but its sender was told "success"; and storescp's own port
 * listens on every interface (it has no bind option), reachable by anyone who finds it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseDicomBytes } from '../dicom/parse.js';
import { LungLensError } from '../errors.js';
import { formatPeer, type Peer } from './config.js';
import {
  hex4, statusName, type Caller, type DimseClient, type DimseImplementation, type MoveOutcome, type SeriesMatch, type StoreOutcome,
  type StoreServer, type StoreServerOptions, type StudyMatch,
} from './dimse.js';

interface Run { code: number | null; stdout: string; stderr: string }

function run(cmd: string, args: readonly string[], timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new LungLensError('network', e.code === 'ENOENT' ? `${cmd} is not installed (Debian package dcmtk).` : `${cmd} failed to start: ${e.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const seconds = (c: Caller) => String(Math.max(1, Math.round((c.timeoutMs ?? 30_000) / 1000)));
const net_ = (peer: Peer, c: Caller) => ['-aet', c.aeTitle, '-aec', peer.aeTitle, '-to', seconds(c), '-ta', seconds(c), '-td', seconds(c)];

function failure(tool: string, peer: Peer, what: string, r: Run): LungLensError {
  const reason = /Calling AE Title Not Recognized/i.test(r.stderr) ? 'our calling AE title is not known there'
    : /Called AE Title Not Recognized/i.test(r.stderr) ? 'its AE title is not the one configured'
    : /Connection refused|connect.*failed|Association Request Failed/i.test(r.stderr) ? 'no DICOM node answered there'
    : (r.stderr.split('\n').find((l) => /^[EF]:/.test(l)) ?? `exit status ${r.code}`).replace(/^[EF]: /, '');
  return new LungLensError('network', `${what} with ${formatPeer(peer)} failed (${tool}): ${reason}.`);
}

async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'lunglens-dcmtk-'));
  try {
    return await fn(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function findscu(peer: Peer, c: Caller, keys: string[], what: string): Promise<Array<(tag: string) => string>> {
  return withTempDir(async (dir) => {
    const r = await run('findscu', ['-S', ...net_(peer, c), '-X', '-od', dir, ...keys.flatMap((k) => ['-k', k]), peer.host, String(peer.port)], (c.timeoutMs ?? 30_000) * 4);
    if (r.code !== 0) throw failure('findscu', peer, what, r);
    const files = (await fs.readdir(dir)).filter((f) => /^rsp\d+\.dcm$/.test(f)).sort();
    return Promise.all(files.map(async (f) => {
      const ds = parseDicomBytes(await fs.readFile(path.join(dir, f)));
      return (tag: string) => (ds.string(tag) ?? '').replace(/\0/g, '').trim();
    }));
  });
}

const numberOrNull = (s: string) => (s === '' || !Number.isFinite(Number(s)) ? null : Number(s));

const client: DimseClient = {
  async echo(peer, c) {
    const r = await run('echoscu', [...net_(peer, c), peer.host, String(peer.port)], (c.timeoutMs ?? 30_000) * 2);
    if (r.code !== 0) throw failure('echoscu', peer, 'C-ECHO', r);
  },

  async findStudies(peer, c, q): Promise<StudyMatch[]> {
    const keys = [
      'QueryRetrieveLevel=STUDY', `PatientID=${q.patientId ?? ''}`, `PatientName=${q.patientName ?? ''}`, `AccessionNumber=${q.accessionNumber ?? ''}`,
      `StudyDate=${q.studyDate ?? ''}`, `ModalitiesInStudy=${q.modality ?? ''}`, `StudyInstanceUID=${q.studyInstanceUid ?? ''}`,
      'StudyTime', 'StudyDescription', 'NumberOfStudyRelatedSeries', 'NumberOfStudyRelatedInstances',
    ];
    return (await findscu(peer, c, keys, 'The study query (C-FIND)')).map((t) => ({
      studyInstanceUid: t('x0020000d'), patientName: t('x00100010'), patientId: t('x00100020'), studyDate: t('x00080020'), studyTime: t('x00080030'),
      accessionNumber: t('x00080050'), studyDescription: t('x00081030'), modalitiesInStudy: t('x00080061').split('\\').filter(Boolean),
      numberOfSeries: numberOrNull(t('x00201206')), numberOfInstances: numberOrNull(t('x00201208')),
    }));
  },

  async findSeries(peer, c, studyInstanceUid): Promise<SeriesMatch[]> {
    const keys = ['QueryRetrieveLevel=SERIES', `StudyInstanceUID=${studyInstanceUid}`, 'SeriesInstanceUID', 'Modality', 'SeriesNumber', 'SeriesDescription', 'NumberOfSeriesRelatedInstances'];
    return (await findscu(peer, c, keys, 'The series query (C-FIND)')).map((t) => ({
      studyInstanceUid: t('x0020000d') || studyInstanceUid, seriesInstanceUid: t('x0020000e'), modality: t('x00080060'),
      seriesNumber: numberOrNull(t('x00200011')), seriesDescription: t('x0008103e'), numberOfInstances: numberOrNull(t('x00201209')),
    }));
  },

  async move(peer, c, target, destination): Promise<MoveOutcome> {
    const keys = target.seriesInstanceUid
      ? ['QueryRetrieveLevel=SERIES', `StudyInstanceUID=${target.studyInstanceUid}`, `SeriesInstanceUID=${target.seriesInstanceUid}`]
      : ['QueryRetrieveLevel=STUDY', `StudyInstanceUID=${target.studyInstanceUid}`];
    // -d prints the final response's sub-operation counts; movescu has no other way to say them.
    const r = await run('movescu', ['-S', '-d', ...net_(peer, c), '-aem', destination, ...keys.flatMap((k) => ['-k', k]), peer.host, String(peer.port)], 30 * 60_000);
    const finalBlock = r.stderr.slice(r.stderr.lastIndexOf('C-MOVE RSP'));
    const count = (label: string) => Number(new RegExp(`${label}\\s*:\\s*(\\d+)`, 'i').exec(finalBlock)?.[1] ?? 0);
    const statusMatch = /DIMSE Status\s*:\s*0x([0-9a-f]{4})/i.exec(finalBlock);
    if (r.code !== 0 && !statusMatch) throw failure('movescu', peer, 'The retrieve (C-MOVE)', r);
    const status = statusMatch ? parseInt(statusMatch[1]!, 16) : 0;
    const outcome = { status, completed: count('Completed Suboperations'), failed: count('Failed Suboperations'), warning: count('Warning Suboperations') };
    if (status !== 0 && statusName(status) !== 'warning') throw new LungLensError('network', `${formatPeer(peer)} answered the retrieve (C-MOVE) with ${statusName(status)} (${hex4(status)}).`);
    return outcome;
  },

  async store(peer, c, files): Promise<StoreOutcome[]> {
    const r = await run('storescu', ['-R', '-nh', '-v', ...net_(peer, c), peer.host, String(peer.port), ...files], 30 * 60_000);
    if (r.code !== 0 && !/Received Store Response/.test(r.stderr)) throw failure('storescu', peer, 'C-STORE', r);
    const outcomes: StoreOutcome[] = files.map((file) => ({ file, sopInstanceUid: '', status: null, ok: false, message: 'not sent' }));
    let current = -1;
    for (const line of r.stderr.split('\n')) {
      const sending = /Sending file: (.*)$/.exec(line);
      if (sending) current = files.indexOf(sending[1]!.trim());
      const rsp = /Received Store Response(?: \(([^)]*)\))?/.exec(line);
      if (rsp && current >= 0) {
        const ok = /^Success/i.test(rsp[1] ?? '') || /^Warning/i.test(rsp[1] ?? '');
        outcomes[current] = { file: files[current]!, sopInstanceUid: '', status: ok ? 0 : 0xc000, ok, ...(ok ? {} : { message: rsp[1] ?? 'failed' }) };
      }
    }
    return outcomes;
  },
};

/** A-ASSOCIATE-RJ, permanent, by the service user, with a reason (PS3.8 §9.3.4). */
const reject = (reason: number) => Buffer.from([0x03, 0, 0, 0, 0, 4, 0, 1, 1, reason]);

async function listen(o: StoreServerOptions): Promise<StoreServer> {
  const inbox = await fs.mkdtemp(path.join(o.store.root, 'incoming', 'storescp-'));
  const innerPort = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const child: ChildProcess = spawn('storescp', [
    '-aet', o.aeTitle, '-od', inbox, '+B', '+xa', '-pdu', '131072', '-dhl',
    // Runs after each instance is written; its output is storescp's, which we read.
    '-xcr', 'echo LUNGLENS-RECEIVED #p/#f', String(innerPort),
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.once('error', (e) => o.log('storescp-failed', { code: (e as NodeJS.ErrnoException).code ?? 'error' }));
  let adopting = Promise.resolve();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const m = /^LUNGLENS-RECEIVED (.*)$/.exec(line.trim());
    if (m) adopting = adopting.then(async () => { await o.store.adopt(m[1]!, 'storescp'); });
  });
  await new Promise((r) => setTimeout(r, 300));
  if (child.exitCode !== null) throw new LungLensError('network', 'storescp (DCMTK) did not start.');

  const sockets = new Set<net.Socket>();
  const front = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let head = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      head = Buffer.concat([head, d]);
      if (head.length < 74) return; // PDU header (6) + protocol, reserved, called AE (16), calling AE (16) …
      socket.off('data', onData);
      socket.pause();
      const calling = head.toString('latin1', 26, 42).trim();
      const called = head.toString('latin1', 10, 26).trim();
      if (head[0] !== 0x01 || called !== o.aeTitle || !o.isAllowed(calling)) {
        o.log('association-rejected', { reason: called !== o.aeTitle ? 'called-ae-not-recognized' : 'calling-ae-not-recognized', from: calling || 'unknown' });
        // 7: called AE title not recognized, 3: calling AE title not recognized.
        socket.end(reject(called !== o.aeTitle ? 7 : 3));
        return;
      }
      const inner = net.connect(innerPort, '127.0.0.1', () => {
        inner.write(head);
        socket.pipe(inner).pipe(socket);
        socket.resume();
      });
      inner.on('error', () => socket.destroy());
      socket.on('error', () => inner.destroy());
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve, reject_) => {
    front.once('error', (e) => reject_(new LungLensError('network', `The DICOM listener cannot listen on ${o.bindAddress}:${o.port}: ${e.message}.`)));
    front.listen(o.port, o.bindAddress, () => resolve());
  });
  const port = (front.address() as net.AddressInfo).port;
  o.log('listening', { port, ae: o.aeTitle, implementation: 'dcmtk' });
  return {
    port,
    async close() {
      await new Promise<void>((resolve) => {
        front.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      child.kill('SIGTERM');
      await adopting;
      await fs.rm(inbox, { recursive: true, force: true });
    },
  };
}

export const dcmtk: DimseImplementation = { name: 'dcmtk', client, listen };
