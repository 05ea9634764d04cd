/**
 * Test-only: a listener in a process of its own, so a test can kill it with SIGKILL mid-study.
 * Usage: node --import tsx test-listener-process.ts STORE_DIR — prints "port N" when listening.
 */
import { networkConfigSchema } from './config.js';
import { dcmjsDimse } from './dcmjs-dimse.js';
import { startListener } from './listener.js';

const storeDir = process.argv[2];
if (!storeDir) throw new Error('usage: test-listener-process.ts STORE_DIR');
const listener = await startListener({
  config: networkConfigSchema.parse({ listener: { enabled: true, aeTitle: 'LUNGLENS', port: 0, allowedCallingAeTitles: ['STORESCU'] } }),
  storeDir,
  implementation: dcmjsDimse,
  onStableSeries: () => undefined,
});
process.stdout.write(`port ${listener.port}\n`);
