import v8 from 'node:v8';

/**
 * Makes V8 optimise hot JavaScript on the thread that runs it instead of on its background
 * compiler threads (`--no-concurrent-recompilation`), for the whole process.
 *
 * A scan keeps every core busy with LungLens's own worker threads (reading, lung mask, tensors,
 * inference), so V8's background compile jobs wait for a core while the code that asked for them
 * runs on in the interpreter: a first study in fresh threads paid ≈ 0.5 s for it. Measured with
 * `npm run bench:scan` on the 2-core build machine, a 512×512×300 study in new threads: median
 * 2.44–3.04 s as V8 ships, 1.73–2.48 s with this (warm threads: no loss).
 *
 * Each entry point (the CLI, the Electron app, the scan bench) calls it first, before any worker
 * thread starts: a worker's isolate takes the flags in force when it is created.
 */
export function optimiseOnCallingThread(): void {
  v8.setFlagsFromString('--no-concurrent-recompilation');
}
