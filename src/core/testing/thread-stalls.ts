/**
 * Test-only: how long the calling thread's event loop is kept from answering while some work
 * runs elsewhere (worker threads, another thread's backend) — for the tests that promise a
 * responsive caller.
 */
import { existsSync, readFileSync } from 'node:fs';

const SCHEDSTAT = '/proc/thread-self/schedstat';

/** This thread's time on a CPU so far, ms (Linux: its schedstat); null where the kernel does not say. */
function cpuMs(): number | null {
  return existsSync(SCHEDSTAT) ? Number(readFileSync(SCHEDSTAT, 'utf8').split(' ')[0]) / 1e6 : null;
}

export interface Stalls<T> {
  result: T;
  /** The longest stall: the most CPU time this thread spent between two ticks of a 1 ms timer. */
  stallMs: number;
  /** `cpu`: from the kernel's per-thread CPU time; `busy`: from the event loop's busy time where the kernel does not say. */
  measure: 'cpu' | 'busy';
  /** The longest wall-clock gap between ticks: the stall plus whatever the machine's other work took from this thread. */
  wallMs: number;
}

/**
 * Runs `work` and measures this thread's longest stall meanwhile: the CPU time it spent between
 * two ticks of a 1 ms timer — work on this thread that keeps it from answering. Where the kernel
 * gives no per-thread CPU time, the event loop's busy time stands in (which on a loaded machine
 * also holds time the OS gave other threads mid-callback). Wall-clock gaps are kept beside it:
 * on a machine shared with other jobs they are mostly the scheduler's, not ours.
 */
export async function measureStalls<T>(work: () => Promise<T>): Promise<Stalls<T>> {
  let stallMs = 0;
  let wallMs = 0;
  let cpu = cpuMs();
  let elu = performance.eventLoopUtilization();
  let last = performance.now();
  const tick = setInterval(() => {
    const now = performance.now();
    const nowCpu = cpuMs();
    const spent = cpu !== null && nowCpu !== null ? nowCpu - cpu : performance.eventLoopUtilization(elu).active;
    cpu = nowCpu;
    elu = performance.eventLoopUtilization();
    stallMs = Math.max(stallMs, spent);
    wallMs = Math.max(wallMs, now - last);
    last = now;
  }, 1);
  try {
    return { result: await work(), stallMs, measure: cpu !== null ? 'cpu' : 'busy', wallMs };
  } finally {
    clearInterval(tick);
  }
}
