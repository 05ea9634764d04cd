import type { Command } from 'commander';

/** The flags that set LungLens's own DICOM node (the listener). */
export interface ListenerFlags {
  aet?: string;
  port?: number;
  bind?: string;
  allow?: string;
  stableSeconds?: number;
}

/**
 * Adds the listener's flags to a command: `lunglens pacs node` saves them to network.json
 * (`save`); `lunglens listen` lays them over it for one run (`run`), so its help names the
 * defaults, and its `--allow` adds to the saved titles.
 */
export function listenerFlags(command: Command, use: 'save' | 'run'): Command {
  const run = use === 'run';
  return command
    .option('--aet <title>', run ? 'our AE title (default: network.json, else LUNGLENS)' : 'our AE title')
    .option('--port <n>', run ? 'port to listen on (default: network.json, else 11112)' : 'the port the listener listens on', Number)
    .option('--bind <address>', run ? 'address to listen on (default: network.json, else 127.0.0.1)' : 'the address it listens on (127.0.0.1: this machine only; 0.0.0.0: every interface)')
    .option('--allow <titles>', `calling AE titles allowed to send, comma-separated (${run ? 'added to network.json\'s' : 'configured PACS nodes are always allowed'})`)
    .option('--stable-seconds <s>', 'a series is complete after this many quiet seconds', Number);
}

/** `--allow`'s comma-separated AE titles. */
export const aeTitleList = (allow: string): string[] => allow.split(',').map((s) => s.trim()).filter(Boolean);
