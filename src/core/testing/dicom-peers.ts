/**
 * Peers for the network layer's tests and for bench:net: DCMTK's tools run without blocking the
 * event loop (our listener lives in the same process), free loopback ports, and a real PACS —
 * Debian's Orthanc with its DICOMweb plugin — started on a temporary configuration and stopped after.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface ToolRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runTool(cmd: string, args: readonly string[], timeoutMs = 120_000): Promise<ToolRun> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export const hasDcmtk = spawnSync('storescu', ['--version']).status === 0;
export const ORTHANC = '/usr/sbin/Orthanc';
export const DICOMWEB_PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';
export const hasOrthanc = existsSync(ORTHANC);
export const hasOrthancDicomWeb = existsSync(DICOMWEB_PLUGIN);

/** The kernel's ephemeral range, from which `listen(0)` and every outgoing connection draw ports. */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low! > 1024 && high! >= low!) return [low!, high!];
  } catch { /* not Linux */ }
  return [49152, 65535];
}

const handedOut = new Set<number>();

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * A loopback port free now, for a server that will listen on it later. Drawn at random below the
 * ephemeral range, so no outgoing connection or `listen(0)` (Orthanc's ports, a test in another
 * worker) takes it in the meantime, and never handed out twice in one process.
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralRange();
  const from = Math.max(1025, low - 20_000);
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = from + Math.floor(Math.random() * (low - from));
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free loopback port between ${from} and ${low - 1}`);
}

export interface OrthancPeer {
  aeTitle: string;
  dicomPort: number;
  httpPort: number;
  url: string;
  dicomweb: string;
  process: ChildProcess;
  stop(): Promise<void>;
  /** GET a REST resource as JSON. */
  get<T>(resource: string): Promise<T>;
}

/**
 * Orthanc on free loopback ports with storage and index in `dir`; `modalities` are the peers it
 * knows (LungLens must be one for C-FIND/C-MOVE and for Orthanc to send to it).
 */
export async function startOrthanc(dir: string, modalities: Record<string, { aeTitle: string; port: number }>): Promise<OrthancPeer> {
  const [dicomPort, httpPort] = [await freePort(), await freePort()];
  await fs.mkdir(path.join(dir, 'storage'), { recursive: true });
  const config = {
    Name: 'LungLensTestPACS',
    StorageDirectory: path.join(dir, 'storage'),
    IndexDirectory: path.join(dir, 'storage'),
    HttpPort: httpPort,
    DicomPort: dicomPort,
    DicomAet: 'ORTHANC',
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    DicomCheckCalledAet: true,
    DicomModalities: Object.fromEntries(Object.entries(modalities).map(([k, m]) => [k, [m.aeTitle, '127.0.0.1', m.port]])),
    Plugins: hasOrthancDicomWeb ? [DICOMWEB_PLUGIN] : [],
    DicomWeb: { Enable: true, Root: '/dicom-web/', EnableWado: false, Host: '127.0.0.1' },
    StableAge: 1,
    HttpTimeout: 30,
    DicomScuTimeout: 30,
    SaveJobs: false,
    ConcurrentJobs: 2,
  };
  const configFile = path.join(dir, 'orthanc.json');
  await fs.writeFile(configFile, JSON.stringify(config, null, 2));
  const child = spawn(ORTHANC, [configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-8000); });
  const url = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Orthanc exited (${child.exitCode}): ${stderr}`);
    try {
      const r = await fetch(`${url}/system`);
      if (r.ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`Orthanc did not start within 60 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    aeTitle: 'ORTHANC', dicomPort, httpPort, url, dicomweb: `${url}/dicom-web`, process: child,
    async get<T>(resource: string) {
      const r = await fetch(`${url}${resource}`);
      if (!r.ok) throw new Error(`GET ${resource}: ${r.status}`);
      return (await r.json()) as T;
    },
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }),
  };
}

/** Uploads Part 10 files to Orthanc by its REST API (a fixture, not the path under test). */
export async function uploadToOrthanc(orthanc: OrthancPeer, files: readonly string[]): Promise<void> {
  for (const file of files) {
    const r = await fetch(`${orthanc.url}/instances`, { method: 'POST', body: await fs.readFile(file) });
    if (!r.ok) throw new Error(`upload ${file}: ${r.status} ${await r.text()}`);
  }
}
