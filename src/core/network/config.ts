/**
 * The DICOM node's configuration: our own AE title, port and bind address, the calling AE titles
 * allowed to send to us, the PACS nodes we query and retrieve from, and where result objects go.
 * Stored as validated JSON (`network.json` in the data folder), written atomically; a file that
 * does not validate is an error with the field named, never silently replaced by defaults.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { LungLensError } from '../errors.js';
import { writeAtomically } from '../util/write-atomically.js';

/** PS3.5 AE VR: 1–16 characters, no backslash or control characters, not only spaces. */
export const aeTitleSchema = z.string()
  .transform((s) => s.trim())
  .refine((s) => s.length >= 1 && s.length <= 16, 'an AE title has 1 to 16 characters')
  .refine((s) => /^[\x20-\x5b\x5d-\x7e]+$/.test(s), 'an AE title holds printable ASCII without a backslash');

export const portSchema = z.number().int().min(1).max(65535);
const hostSchema = z.string().min(1).max(253).regex(/^[A-Za-z0-9.:[\]_-]+$/, 'a host name or IP address');

/** A remote DICOM application entity. */
export const peerSchema = z.object({ aeTitle: aeTitleSchema, host: hostSchema, port: portSchema });
export type Peer = z.infer<typeof peerSchema>;

/** "AET@HOST:PORT" (the CLI's way of naming a peer, DESIGN.md §3). */
export function parsePeer(text: string): Peer {
  const m = /^([^@]{1,16})@(\[[^\]]+\]|[^:@]+):(\d{1,5})$/.exec(text.trim());
  if (!m) throw new LungLensError('usage', `"${text}" is not AET@HOST:PORT (for example PACS@10.0.0.5:104).`);
  const parsed = peerSchema.safeParse({ aeTitle: m[1], host: m[2]!.replace(/^\[|\]$/g, ''), port: Number(m[3]) });
  if (!parsed.success) throw new LungLensError('usage', `"${text}": ${parsed.error.issues[0]!.message}.`);
  return parsed.data;
}

export const formatPeer = (p: Peer) => `${p.aeTitle}@${p.host.includes(':') ? `[${p.host}]` : p.host}:${p.port}`;

/** A PACS LungLens queries (C-FIND) and retrieves from (C-MOVE to our own AE), optionally by DICOMweb. */
export const pacsNodeSchema = z.object({
  name: z.string().min(1).max(64),
  peer: peerSchema,
  /** DICOMweb base URL (QIDO-RS, WADO-RS, STOW-RS), e.g. http://pacs:8042/dicom-web. */
  dicomweb: z.string().url().optional(),
});
export type PacsNode = z.infer<typeof pacsNodeSchema>;

/** Where result objects are sent: a DICOM peer (C-STORE) or a DICOMweb STOW-RS endpoint. */
export const destinationSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('dimse'), name: z.string().min(1).max(64), peer: peerSchema }),
  z.object({ kind: z.literal('stow'), name: z.string().min(1).max(64), url: z.string().url() }),
]);
export type Destination = z.infer<typeof destinationSchema>;

export const listenerSchema = z.object({
  /** Off by default: a hospital turns the node on deliberately. */
  enabled: z.boolean().default(false),
  aeTitle: aeTitleSchema.default('LUNGLENS'),
  /** 0 listens on any free port (tests; the port is reported when listening). */
  port: z.number().int().min(0).max(65535).default(11112),
  /** 127.0.0.1 by default; 0.0.0.0 (or one interface's address) to take studies from the network. */
  bindAddress: z.string().min(1).default('127.0.0.1'),
  /**
   * Calling AE titles allowed to open an association; the configured PACS nodes are always
   * allowed. Anyone else is rejected (A-ASSOCIATE-RJ, calling AE title not recognized).
   */
  allowedCallingAeTitles: z.array(aeTitleSchema).default([]),
  /** A series is complete once no instance of it arrived for this long. */
  stableSeconds: z.number().min(1).max(3600).default(30),
  /**
   * When a received instance is acknowledged: after it is flushed to disk (`fsync`, survives a
   * power cut) or once it is renamed into place (`rename`, survives the process being killed;
   * faster where the disk is slow to flush). See instance-store.ts.
   */
  durability: z.enum(['fsync', 'rename']).default('fsync'),
});
export type ListenerConfig = z.infer<typeof listenerSchema>;

export const networkConfigSchema = z.object({
  version: z.literal(1).default(1),
  listener: listenerSchema.default({}),
  pacs: z.array(pacsNodeSchema).default([]),
  destinations: z.array(destinationSchema).default([]),
  /** Send the result objects of every analysis of a received study to these destinations (by name). */
  autoSend: z.object({ enabled: z.boolean().default(false), destinations: z.array(z.string()).default([]) }).default({}),
  /** Which DIMSE implementation: the built-in one, or DCMTK's command-line tools where a site prefers them. */
  dimse: z.enum(['dcmjs-dimse', 'dcmtk']).default('dcmjs-dimse'),
}).superRefine((c, ctx) => {
  const names = [...c.pacs.map((p) => p.name), ...c.destinations.map((d) => d.name)];
  for (const n of c.autoSend.destinations) {
    if (!c.destinations.some((d) => d.name === n)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['autoSend', 'destinations'], message: `no destination is named "${n}"` });
  }
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['pacs'], message: `the name "${dup}" is used twice` });
});
export type NetworkConfig = z.infer<typeof networkConfigSchema>;

export const defaultNetworkConfig = (): NetworkConfig => networkConfigSchema.parse({});

export const NETWORK_CONFIG_FILE = 'network.json';

/** Validates a configuration, naming the first problem. */
export function parseNetworkConfig(value: unknown, where = NETWORK_CONFIG_FILE): NetworkConfig {
  const parsed = networkConfigSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new LungLensError('bad-node-config', `${where}: ${issue.path.join('.') || '(top level)'}: ${issue.message}.`);
  }
  return parsed.data;
}

/** The configuration in `dir` (the data folder), or the defaults when there is none yet. */
export async function loadNetworkConfig(dir: string): Promise<NetworkConfig> {
  const file = path.join(dir, NETWORK_CONFIG_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return defaultNetworkConfig();
    throw new LungLensError('bad-node-config', `${file} cannot be read: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new LungLensError('bad-node-config', `${file} is not valid JSON.`);
  }
  return parseNetworkConfig(json, file);
}

export async function saveNetworkConfig(dir: string, config: NetworkConfig): Promise<void> {
  const valid = parseNetworkConfig(config);
  await fs.mkdir(dir, { recursive: true });
  await writeAtomically(path.join(dir, NETWORK_CONFIG_FILE), [`${JSON.stringify(valid, null, 2)}\n`]);
}

/** The PACS node of that name, or a usage error listing the names there are. */
export function pacsNamed(config: NetworkConfig, name: string): PacsNode {
  const node = config.pacs.find((p) => p.name === name);
  if (!node) {
    const known = config.pacs.map((p) => p.name);
    throw new LungLensError('usage', `No PACS node is named "${name}"${known.length ? ` (configured: ${known.join(', ')})` : '; add one with `lunglens pacs add`'}.`);
  }
  return node;
}
