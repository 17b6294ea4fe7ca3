// Resident memory of a process we started, read from /proc/<pid>/status (Linux): the kernel's own
// high-water mark (VmHWM) plus periodic VmRSS samples, so a figure is measured, never estimated.
import { readFile, readdir, writeFile } from 'node:fs/promises';

export interface ProcessMemory {
  rssBytes: number;
  peakRssBytes: number;
}

export interface MemoryReport {
  /** The larger of the kernel's VmHWM and the highest sample: the peak resident memory. */
  peakRssBytes: number;
  /** Highest VmRSS seen by the periodic samples alone. */
  peakSampledRssBytes: number;
  /** VmHWM when the sampler stopped. */
  highWaterMarkBytes: number;
  samples: number;
  /** true: VmHWM was reset when the sampler started, so the peak is this phase's own. */
  peakIsPhaseLocal: boolean;
  /** Highest summed VmRSS of the process's direct children (the embedded s3rver), never counted above. */
  peakChildrenRssBytes: number;
}

export interface MemorySampler {
  stop(): Promise<MemoryReport>;
}

const KIB = 1024;

export async function readProcessMemory(pid: number): Promise<ProcessMemory> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return { rssBytes: readStatusKib(status, 'VmRSS') * KIB, peakRssBytes: readStatusKib(status, 'VmHWM') * KIB };
}

function readStatusKib(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match?.[1]) throw new Error(`/proc status has no ${field} line`);
  return Number(match[1]);
}

/**
 * Resets the process's VmHWM to its current RSS (`echo 5 > /proc/<pid>/clear_refs`, Linux >= 4.0),
 * so the next peak belongs to the phase that follows. Returns false where that is not allowed.
 */
export async function resetPeakRss(pid: number): Promise<boolean> {
  try {
    await writeFile(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch (error) {
    process.stderr.write(`note: cannot reset the peak RSS of ${pid} (${String(error)}); VmHWM covers the whole process life\n`);
    return false;
  }
}

/** Pids of the direct children of `pid` (every thread's children list). */
export async function listChildPids(pid: number): Promise<number[]> {
  const pids = new Set<number>();
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  for (const task of tasks) {
    const text = await readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '');
    for (const child of text.split(/\s+/).filter(Boolean)) pids.add(Number(child));
  }
  return [...pids];
}

async function sumChildrenRss(pid: number): Promise<number> {
  let total = 0;
  for (const child of await listChildPids(pid)) {
    total += await readProcessMemory(child).then((m) => m.rssBytes, () => 0);
  }
  return total;
}

/** Samples `pid` every `intervalMs` until stop(); resets VmHWM first so the peak is this phase's. */
export async function startMemorySampler(pid: number, intervalMs = 100): Promise<MemorySampler> {
  const peakIsPhaseLocal = await resetPeakRss(pid);
  let peakSampled = 0;
  let peakChildren = 0;
  let samples = 0;
  let sampling: Promise<void> = Promise.resolve();
  const sample = async (): Promise<void> => {
    const memory = await readProcessMemory(pid).catch(() => null);
    if (memory === null) return;
    samples += 1;
    peakSampled = Math.max(peakSampled, memory.rssBytes);
    peakChildren = Math.max(peakChildren, await sumChildrenRss(pid));
  };
  await sample();
  const timer = setInterval(() => {
    sampling = sampling.then(sample);
  }, intervalMs);
  return {
    async stop(): Promise<MemoryReport> {
      clearInterval(timer);
      await sampling;
      await sample();
      const highWaterMark = await readProcessMemory(pid).then((m) => m.peakRssBytes, () => 0);
      return {
        peakRssBytes: Math.max(highWaterMark, peakSampled),
        peakSampledRssBytes: peakSampled,
        highWaterMarkBytes: highWaterMark,
        samples,
        peakIsPhaseLocal,
        peakChildrenRssBytes: peakChildren,
      };
    },
  };
}
