import path from 'node:path';
import { type Command, Option } from 'commander';
import { appVersion } from '../../backend/app-version.js';
import { dataDir } from '../../backend/data-dir.js';
import { AnalysisPools } from '../../core/analysis/index.js';
import { AnalysedJournal, analyseDicomSeries, startDicomNode } from '../../core/dicom-node/index.js';
import { LungLensError } from '../../core/errors.js';
import { InferenceEngine } from '../../core/inference/engine.js';
import type { ProviderPreference } from '../../core/inference/execution-provider.js';
import {
  describeDestination, dimseImplementation, jsonLinesLog, loadNetworkConfig, parseNetworkConfig, parsePeer, sendFiles,
  uidKey, type Destination, type NetworkConfig,
} from '../../core/network/index.js';
import { aeTitleList, listenerFlags, type ListenerFlags } from '../listener-flags.js';
import { parsePositiveInt } from '../options.js';
import { receivedDir } from './pacs.js';

interface ModelFlags { model?: string; provider: ProviderPreference; threads?: number }

const modelOptions = (c: Command) => c
  .option('--model <file>', 'ONNX model with its .card.json beside it (default: the bundled model)')
  .addOption(new Option('--provider <p>', 'execution provider').choices(['auto', 'cuda', 'cpu']).default('auto'))
  .option('--threads <n>', 'onnxruntime threads (default: all cores)', parsePositiveInt);

/** `--send-to AET@HOST:PORT` / `--stow URL` as a destination, or null. */
function destinationOf(o: { sendTo?: string; to?: string; stow?: string }): Destination | null {
  const peer = o.sendTo ?? o.to;
  if (peer && o.stow) throw new LungLensError('usage', 'Give one destination: a DICOM node or a STOW-RS URL, not both.');
  if (peer) return { kind: 'dimse', name: 'command line', peer: parsePeer(peer) };
  if (o.stow) return { kind: 'stow', name: 'command line', url: o.stow };
  return null;
}

async function openEngine(o: ModelFlags): Promise<{ engine: InferenceEngine; pools: AnalysisPools }> {
  const pools = new AnalysisPools();
  try {
    const engine = await InferenceEngine.open({ ...(o.model ? { model: o.model } : {}), provider: o.provider, ...(o.threads ? { threads: o.threads } : {}) });
    const id = engine.identity;
    process.stderr.write(`model ${id.name} (${id.sha256.slice(0, 12)}) on ${id.executionProvider}\n`);
    return { engine, pools };
  } catch (error) {
    await pools.close();
    throw error;
  }
}

/**
 * `lunglens listen` (DESIGN.md §3): the DICOM node in the foreground until SIGINT/SIGTERM —
 * C-ECHO, C-STORE SCP; each stable CT series analysed once per content, its result objects
 * written to `<data>/results` and sent to the destination given here (or the auto-send rule's).
 * `lunglens send`: analyse the series under PATH and send their result objects.
 */
export function registerNode(program: Command, setExit: (code: number) => void): void {
  modelOptions(listenerFlags(program.command('listen')
    .description('Run the DICOM node until interrupted: receive studies (C-STORE), analyse each complete series, send the results.'), 'run')
    .option('--send-to <peer>', 'send result objects to AET@HOST:PORT (C-STORE)')
    .option('--stow <url>', 'send result objects to this DICOMweb base URL (STOW-RS)')
    .option('--store <dir>', 'where received studies are kept (default: <data folder>/received)')
    .option('--log-json', 'also print the node\'s log (JSON lines, no patient identifiers) on stderr'))
    .action(async (o: ModelFlags & ListenerFlags & { sendTo?: string; stow?: string; store?: string; logJson?: boolean }) => {
      let config: NetworkConfig;
      let explicit: Destination | null;
      try {
        const stored = await loadNetworkConfig(dataDir());
        config = parseNetworkConfig({
          ...stored,
          listener: {
            ...stored.listener, enabled: true,
            ...(o.aet ? { aeTitle: o.aet } : {}), ...(o.port !== undefined ? { port: o.port } : {}), ...(o.bind ? { bindAddress: o.bind } : {}),
            ...(o.stableSeconds !== undefined ? { stableSeconds: o.stableSeconds } : {}),
            ...(o.allow ? { allowedCallingAeTitles: [...stored.listener.allowedCallingAeTitles, ...aeTitleList(o.allow)] } : {}),
          },
        }, 'the options');
        explicit = destinationOf(o);
      } catch (error) {
        process.stderr.write(`lunglens listen: ${(error as Error).message}\n`);
        return setExit(1);
      }
      const destinations = explicit ? [explicit] : config.autoSend.enabled ? config.destinations.filter((d) => config.autoSend.destinations.includes(d.name)) : [];
      let opened: Awaited<ReturnType<typeof openEngine>>;
      try {
        opened = await openEngine(o);
      } catch (error) {
        process.stderr.write(`lunglens listen: ${(error as Error).message}\n`);
        return setExit(1);
      }
      const { engine, pools } = opened;
      const results = path.join(dataDir(), 'results');
      const journal = await AnalysedJournal.open(results);
      const implementation = dimseImplementation(config.dimse);
      let node;
      try {
        node = await startDicomNode({
          config, storeDir: o.store ?? receivedDir(), implementation, destinations,
          analysis: { engine, pools, softwareVersion: appVersion(), resultsDir: results, journal },
          report: (line) => process.stdout.write(`${line}\n`),
          ...(o.logJson ? { log: jsonLinesLog((l) => process.stderr.write(l)) } : {}),
        });
      } catch (error) {
        await Promise.all([engine.close(), pools.close()]);
        process.stderr.write(`lunglens listen: ${(error as Error).message}\n`);
        return setExit(1);
      }
      const l = config.listener;
      process.stderr.write(`listening as ${l.aeTitle} on ${l.bindAddress}:${node.port} (${implementation.name}); results to ${destinations.map(describeDestination).join(', ') || 'the results folder only'}; Ctrl-C to stop\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      process.stderr.write('stopping (the series in flight is finished first)\n');
      await node.close();
      await Promise.all([engine.close(), pools.close()]);
    });

  modelOptions(program.command('send')
    .description('Analyse the DICOM series under PATH and send their result objects (SR, SEG, KOS, SC) to a DICOM node or a STOW-RS endpoint.')
    .argument('<paths...>', 'DICOM folders or files')
    .option('--to <peer>', 'AET@HOST:PORT (C-STORE)')
    .option('--stow <url>', 'DICOMweb base URL (STOW-RS)')
    .option('--aet <title>', 'our calling AE title (default: network.json, else LUNGLENS)')
    .option('--out <dir>', 'keep the result objects in this folder (default: <data folder>/results)'))
    .action(async (paths: string[], o: ModelFlags & { to?: string; stow?: string; aet?: string; out?: string }) => {
      let destination: Destination | null;
      let config: NetworkConfig;
      try {
        config = await loadNetworkConfig(dataDir());
        destination = destinationOf(o);
        if (!destination) throw new LungLensError('usage', 'Say where to send: --to AET@HOST:PORT or --stow URL.');
      } catch (error) {
        process.stderr.write(`lunglens send: ${(error as Error).message}\n`);
        return setExit(1);
      }
      let opened: Awaited<ReturnType<typeof openEngine>>;
      try {
        opened = await openEngine(o);
      } catch (error) {
        process.stderr.write(`lunglens send: ${(error as Error).message}\n`);
        return setExit(1);
      }
      const { engine, pools } = opened;
      let sentAll = true;
      let any = false;
      try {
        const analysed = await analyseDicomSeries(paths, { engine, pools, softwareVersion: appVersion(), resultsDir: path.resolve(o.out ?? path.join(dataDir(), 'results')) });
        for (const a of analysed) {
          const key = uidKey(a.seriesInstanceUid || a.identity);
          if (a.files.length === 0) {
            process.stdout.write(`series ${key}: not sent — ${a.skipped?.message ?? 'no result'}\n`);
            continue;
          }
          any = true;
          try {
            const sent = await sendFiles(a.files, destination, { implementation: dimseImplementation(config.dimse), callingAeTitle: o.aet ?? config.listener.aeTitle });
            const verdict = `${a.result?.verdict ?? 'indeterminate'} p=${a.result?.probability?.toFixed(3)}`;
            process.stdout.write(`series ${key}: ${verdict}; sent ${sent.sent} of ${a.files.length} result objects to ${describeDestination(destination)}${sent.failed.length ? `; failed: ${sent.failed.map((f) => f.message).join('; ')}` : ''}\n`);
            if (sent.failed.length) sentAll = false;
          } catch (error) {
            sentAll = false;
            process.stdout.write(`series ${key}: sending failed — ${(error as Error).message}\n`);
          }
        }
      } finally {
        await Promise.all([engine.close(), pools.close()]);
      }
      setExit(!any ? 2 : sentAll ? 0 : 1);
    });
}
