import net from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { freePort } from './dicom-peers.js';

const RANGE = '/proc/sys/net/ipv4/ip_local_port_range';

describe.skipIf(!existsSync(RANGE))('freePort', () => {
  it('hands out distinct ports below the ephemeral range, each one a server can then listen on', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 20; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    const low = Number(readFileSync(RANGE, 'utf8').trim().split(/\s+/)[0]);
    for (const port of ports) expect(port).toBeLessThan(low);
    // An outgoing connection draws its local port from the ephemeral range, so it cannot take ours.
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(ports[0], '127.0.0.1', resolve); });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
