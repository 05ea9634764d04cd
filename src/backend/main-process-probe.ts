// Stands in for the Electron main process (a thread that only routes) in thread-backend.test.ts:
// starts the backend on its own thread — or, with --local, on this thread — opens a study,
// analyses its first series and builds its lung surface, and prints this thread's longest stall
// meanwhile (and how it was measured) as JSON. A process of its own, so that the test runner's
// heap and work are not measured with it:
//   node --import tsx src/backend/main-process-probe.ts STUDY DATA_DIR [--local]
import { optimiseOnCallingThread } from '../core/compiler-flags.js';
import { measureStalls } from '../core/testing/thread-stalls.js';
import type { Analysis, OpenResult } from '../shared/api.js';
import { LocalBackend, type Backend } from './backend.js';
import { ThreadBackend } from './thread-backend.js';

const [study, dataDir, mode] = process.argv.slice(2);
optimiseOnCallingThread(); // as the app does, before any thread starts
const options = { dataDir: dataDir!, transport: 'electron' as const, version: 'probe' };
const backend: Backend = mode === '--local' ? await LocalBackend.start(options) : await ThreadBackend.start(options);
const { result, stallMs, measure, wallMs } = await measureStalls(async () => {
  const opened = (await backend.call('open', { paths: [study!] })) as OpenResult;
  const seriesId = opened.series[0]!.id;
  const analysis = (await backend.call('analyze', { seriesId })) as Analysis;
  const mesh = (await backend.call('mesh', { seriesId })) as Buffer;
  return { status: analysis.status, slices: analysis.sliceAttention.length, totalMs: analysis.timingsMs['total'], meshVertices: mesh.readUInt32LE(0) };
});
await backend.close();
process.stdout.write(`${JSON.stringify({ ...result, stallMs, measure, wallMs })}\n`);
