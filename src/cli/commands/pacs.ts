import path from 'node:path';
import type { Command } from 'commander';
import Table from 'cli-table3';
import { dataDir } from '../../backend/data-dir.js';
import { LungLensError } from '../../core/errors.js';
import {
  dicomwebOf as coreDicomwebOf, dimseImplementation, formatPeer, loadNetworkConfig, pacsNamed, parseNetworkConfig, parsePeer, retrieveByDicomWeb, retrieveByMove,
  saveNetworkConfig, searchSeries, searchStudies, type NetworkConfig, type PacsNode, type SeriesMatch, type StudyMatch, type StudyQuery,
} from '../../core/network/index.js';
import { aeTitleList, listenerFlags, type ListenerFlags } from '../listener-flags.js';

/** Where received studies are kept, in the data folder (`LUNGLENS_DATA_DIR`). */
export const receivedDir = () => path.join(dataDir(), 'received');

type Exit = (code: number) => void;

/** Runs a subcommand, turning errors into a sentence on stderr and exit code 1. */
function action<A extends unknown[]>(setExit: Exit, name: string, fn: (...args: A) => Promise<number | void>) {
  return async (...args: A) => {
    try {
      const code = await fn(...args);
      if (typeof code === 'number') setExit(code);
    } catch (error) {
      process.stderr.write(`lunglens pacs ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
      setExit(1);
    }
  };
}

async function update(change: (c: NetworkConfig) => NetworkConfig | void): Promise<NetworkConfig> {
  const dir = dataDir();
  const current = await loadNetworkConfig(dir);
  const next = parseNetworkConfig(change(current) ?? current);
  await saveNetworkConfig(dir, next);
  return next;
}

const caller = (c: NetworkConfig) => ({ aeTitle: c.listener.aeTitle, timeoutMs: 30_000 });

function studyRows(studies: StudyMatch[], identifiers: boolean): string {
  const table = new Table({
    head: ['#', 'date', 'accession', 'description', 'modalities', 'series', 'images', ...(identifiers ? ['patient', 'patient ID'] : []), 'Study Instance UID'],
    style: { head: [], border: [] },
  });
  studies.forEach((s, i) => table.push([
    String(i + 1), s.studyDate || '—', s.accessionNumber || '—', s.studyDescription || '—', s.modalitiesInStudy.join(',') || '—',
    s.numberOfSeries === null ? '—' : String(s.numberOfSeries), s.numberOfInstances === null ? '—' : String(s.numberOfInstances),
    ...(identifiers ? [s.patientName || '—', s.patientId || '—'] : []), s.studyInstanceUid,
  ]));
  return `${table.toString()}\n`;
}

function seriesRows(series: SeriesMatch[]): string {
  return series.map((s) => `  series ${s.seriesNumber ?? '—'} ${s.modality || '—'} "${s.seriesDescription}" ${s.numberOfInstances ?? '?'} images ${s.seriesInstanceUid}\n`).join('');
}

/**
 * `lunglens pacs`: the PACS nodes LungLens knows (stored as validated JSON in the data folder,
 * `network.json`), and query/retrieve against them — C-FIND/C-MOVE, or QIDO-RS/WADO-RS with
 * `--dicomweb`. Retrieved studies land in `<data folder>/received`, where the listener keeps what
 * it receives.
 */
export function registerPacs(program: Command, setExit: Exit): void {
  const pacs = program.command('pacs').description('PACS nodes: configure them, find studies on them and retrieve studies from them.');

  pacs.command('show')
    .description('Print the DICOM node configuration (network.json in the data folder).')
    .option('--json', 'print it as JSON')
    .action(action(setExit, 'show', async (opts: { json?: boolean }) => {
      const c = await loadNetworkConfig(dataDir());
      if (opts.json) return void process.stdout.write(`${JSON.stringify(c, null, 2)}\n`);
      const l = c.listener;
      process.stdout.write(`listener: ${l.enabled ? 'on' : 'off'}, AE title ${l.aeTitle}, ${l.bindAddress}:${l.port}, stable after ${l.stableSeconds} s, DIMSE by ${c.dimse}\n`);
      process.stdout.write(`allowed calling AE titles: ${[...l.allowedCallingAeTitles, ...c.pacs.map((p) => `${p.peer.aeTitle} (PACS ${p.name})`)].join(', ') || 'none'}\n`);
      for (const p of c.pacs) process.stdout.write(`PACS ${p.name}: ${formatPeer(p.peer)}${p.dicomweb ? `, DICOMweb ${p.dicomweb}` : ''}\n`);
      for (const d of c.destinations) process.stdout.write(`destination ${d.name}: ${d.kind === 'dimse' ? formatPeer(d.peer) : `STOW-RS ${d.url}`}\n`);
      process.stdout.write(`send results automatically: ${c.autoSend.enabled ? `yes, to ${c.autoSend.destinations.join(', ')}` : 'no'}\n`);
    }));

  listenerFlags(pacs.command('node')
    .description('Set LungLens\'s own DICOM node: AE title, port, bind address, who may send, when a series is complete.'), 'save')
    .option('--dimse <impl>', 'dcmjs-dimse (built in) or dcmtk (DCMTK\'s command-line tools)')
    .option('--enable', 'turn the listener on (the app starts it; `lunglens listen` runs it regardless)')
    .option('--disable', 'turn the listener off')
    .action(action(setExit, 'node', async (o: ListenerFlags & { dimse?: string; enable?: boolean; disable?: boolean }) => {
      if (o.enable && o.disable) throw new LungLensError('usage', '--enable and --disable contradict each other.');
      await update((c) => ({
        ...c,
        ...(o.dimse ? { dimse: o.dimse as NetworkConfig['dimse'] } : {}),
        listener: {
          ...c.listener,
          ...(o.aet !== undefined ? { aeTitle: o.aet } : {}),
          ...(o.port !== undefined ? { port: o.port } : {}),
          ...(o.bind !== undefined ? { bindAddress: o.bind } : {}),
          ...(o.allow !== undefined ? { allowedCallingAeTitles: aeTitleList(o.allow) } : {}),
          ...(o.stableSeconds !== undefined ? { stableSeconds: o.stableSeconds } : {}),
          ...(o.enable ? { enabled: true } : o.disable ? { enabled: false } : {}),
        },
      }));
      process.stderr.write(`saved ${path.join(dataDir(), 'network.json')}\n`);
    }));

  pacs.command('add <name> <peer>')
    .description('Add (or replace) a PACS node: NAME AET@HOST:PORT. It must know LungLens\'s AE title, host and port to send studies to it.')
    .option('--dicomweb <url>', 'its DICOMweb base URL, e.g. http://pacs:8042/dicom-web')
    .action(action(setExit, 'add', async (name: string, peer: string, o: { dicomweb?: string }) => {
      const node: PacsNode = { name, peer: parsePeer(peer), ...(o.dicomweb ? { dicomweb: o.dicomweb } : {}) };
      await update((c) => ({ ...c, pacs: [...c.pacs.filter((p) => p.name !== name), node] }));
      process.stderr.write(`PACS ${name}: ${formatPeer(node.peer)}\n`);
    }));

  pacs.command('remove <name>')
    .description('Forget a PACS node or a destination.')
    .action(action(setExit, 'remove', async (name: string) => {
      const c = await loadNetworkConfig(dataDir());
      if (!c.pacs.some((p) => p.name === name) && !c.destinations.some((d) => d.name === name)) throw new LungLensError('usage', `Nothing is named "${name}".`);
      await update((x) => ({
        ...x, pacs: x.pacs.filter((p) => p.name !== name), destinations: x.destinations.filter((d) => d.name !== name),
        autoSend: { ...x.autoSend, destinations: x.autoSend.destinations.filter((d) => d !== name) },
      }));
    }));

  pacs.command('destination <name>')
    .description('Add (or replace) a destination for result objects: a DICOM node (--to) or a STOW-RS endpoint (--stow).')
    .option('--to <peer>', 'AET@HOST:PORT (C-STORE)')
    .option('--stow <url>', 'DICOMweb base URL (STOW-RS)')
    .option('--auto', 'send every analysis of a received study there automatically')
    .action(action(setExit, 'destination', async (name: string, o: { to?: string; stow?: string; auto?: boolean }) => {
      if (!!o.to === !!o.stow) throw new LungLensError('usage', 'Give exactly one of --to AET@HOST:PORT and --stow URL.');
      const dest = o.to ? { kind: 'dimse' as const, name, peer: parsePeer(o.to) } : { kind: 'stow' as const, name, url: o.stow! };
      await update((c) => ({
        ...c, destinations: [...c.destinations.filter((d) => d.name !== name), dest],
        autoSend: o.auto ? { enabled: true, destinations: [...new Set([...c.autoSend.destinations, name])] } : c.autoSend,
      }));
    }));

  pacs.command('echo <name>')
    .description('Check that a PACS node answers (C-ECHO).')
    .action(action(setExit, 'echo', async (name: string) => {
      const c = await loadNetworkConfig(dataDir());
      const node = pacsNamed(c, name);
      await dimseImplementation(c.dimse).client.echo(node.peer, caller(c));
      process.stdout.write(`${name} (${formatPeer(node.peer)}) answers C-ECHO\n`);
    }));

  pacs.command('find <name>')
    .description('Find studies on a PACS node (C-FIND, or QIDO-RS with --dicomweb). Patient identifiers are shown only with --identifiers.')
    .option('--patient-id <id>', 'Patient ID (wildcards * ?)')
    .option('--patient-name <name>', 'Patient\'s name, Family^Given (wildcards * ?)')
    .option('--accession <number>', 'accession number')
    .option('--date <date>', 'study date YYYYMMDD or range YYYYMMDD-YYYYMMDD')
    .option('--modality <m>', 'a modality in the study, e.g. CT')
    .option('--study <uid>', 'Study Instance UID')
    .option('--series', 'list each study\'s series too')
    .option('--dicomweb', 'use the node\'s DICOMweb URL (QIDO-RS) instead of C-FIND')
    .option('--identifiers', 'show patient names and IDs')
    .option('--json', 'print JSON: { studies: [{ ..., series? }] }')
    .action(action(setExit, 'find', async (name: string, o: { patientId?: string; patientName?: string; accession?: string; date?: string; modality?: string; study?: string; series?: boolean; dicomweb?: boolean; identifiers?: boolean; json?: boolean }) => {
      const c = await loadNetworkConfig(dataDir());
      const node = pacsNamed(c, name);
      const query: StudyQuery = {
        ...(o.patientId ? { patientId: o.patientId } : {}), ...(o.patientName ? { patientName: o.patientName } : {}),
        ...(o.accession ? { accessionNumber: o.accession } : {}), ...(o.date ? { studyDate: o.date } : {}),
        ...(o.modality ? { modality: o.modality } : {}), ...(o.study ? { studyInstanceUid: o.study } : {}),
      };
      const web = o.dicomweb ? dicomwebOf(node) : null;
      const impl = dimseImplementation(c.dimse);
      const studies = web ? await searchStudies(web, query) : await impl.client.findStudies(node.peer, caller(c), query);
      const withSeries = o.series || o.json
        ? await Promise.all(studies.map(async (s) => ({ ...s, series: o.series ? (web ? await searchSeries(web, s.studyInstanceUid) : await impl.client.findSeries(node.peer, caller(c), s.studyInstanceUid)) : undefined })))
        : studies.map((s) => ({ ...s, series: undefined }));
      const shown = withSeries.map((s) => (o.identifiers ? s : { ...s, patientName: undefined, patientId: undefined }));
      if (o.json) process.stdout.write(`${JSON.stringify({ studies: shown }, null, 2)}\n`);
      else if (studies.length === 0) process.stdout.write('no study matches\n');
      else {
        process.stdout.write(studyRows(studies, o.identifiers === true));
        for (const s of withSeries) if (s.series) process.stdout.write(`${s.studyInstanceUid}:\n${seriesRows(s.series)}`);
      }
      return studies.length > 0 ? 0 : 2;
    }));

  pacs.command('get <name> <study>')
    .description('Retrieve a study (or one series) from a PACS node into LungLens: C-MOVE to our own AE title (the PACS must know it), or WADO-RS with --dicomweb.')
    .option('--series <uid>', 'only this series')
    .option('--dicomweb', 'use the node\'s DICOMweb URL (WADO-RS) instead of C-MOVE')
    .option('--json', 'print JSON: { series: [{ seriesInstanceUid, instances, folder }] }')
    .action(action(setExit, 'get', async (name: string, study: string, o: { series?: string; dicomweb?: boolean; json?: boolean }) => {
      const c = await loadNetworkConfig(dataDir());
      const node = pacsNamed(c, name);
      const common = { config: c, node, studyInstanceUid: study, ...(o.series ? { seriesInstanceUid: o.series } : {}), storeDir: receivedDir() };
      const outcome = o.dicomweb ? await retrieveByDicomWeb(common) : await retrieveByMove({ ...common, implementation: dimseImplementation(c.dimse) });
      if (!o.dicomweb) process.stderr.write(`${node.name}: ${outcome.completed} sent, ${outcome.failed} failed\n`);
      const received = outcome.series;
      if (o.json) process.stdout.write(`${JSON.stringify({ series: received }, null, 2)}\n`);
      else for (const r of received) process.stdout.write(`received series ${r.seriesInstanceUid}: ${r.instances} instances in ${r.folder}\n`);
      return received.length > 0 ? 0 : 2;
    }));
}

function dicomwebOf(node: PacsNode) {
  return coreDicomwebOf(node);
}
