// CPU time of processes, read from /proc/<pid>/stat (Linux): user + system time of every thread,
// so a phase's CPU is the difference of two reads. Used to show where a 2-core machine's time went
// during a delivery: Squidship, the embedded s3rver, and the aws CLI of the reference.
import { readFile } from 'node:fs/promises';
import { listChildPids } from './process-memory.js';

/** Linux's USER_HZ: utime and stime in /proc/<pid>/stat count 1/100 s on every mainstream kernel. */
const TICKS_PER_SECOND = 100;

/** User + system CPU milliseconds the process has used so far; 0 once it is gone. */
export async function readProcessCpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (stat === null) return 0;
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of proc(5) (utime, stime) are the 12th and 13th after the name.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

export interface CpuMeter {
  /** CPU milliseconds used since the meter started: the process, and its direct children summed. */
  read(): Promise<{ selfMs: number; childrenMs: number }>;
}

/** Starts counting the CPU of `pid` and of its current direct children (the embedded s3rver). */
export async function startCpuMeter(pid: number): Promise<CpuMeter> {
  const children = await listChildPids(pid);
  const sumChildren = async () => (await Promise.all(children.map(readProcessCpuMs))).reduce((a, b) => a + b, 0);
  const [self0, children0] = [await readProcessCpuMs(pid), await sumChildren()];
  return {
    async read() {
      return { selfMs: (await readProcessCpuMs(pid)) - self0, childrenMs: (await sumChildren()) - children0 };
    },
  };
}
