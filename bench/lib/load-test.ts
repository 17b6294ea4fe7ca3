// One autocannon measurement, with a short unrecorded warm-up so the JIT and the connection pool
// are settled before the figures start. Given the server's pid (Linux), it also reads the CPU
// time the server spent per request: on a shared 2-core machine the requests/s of server and
// ceiling move with whatever else runs, while CPU per request moves much less.
import { readFile } from 'node:fs/promises';
import autocannon from 'autocannon';

export interface LoadTarget {
  label: string;
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadFigures {
  label: string;
  requestsPerS: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Server CPU time (user + system, all its threads) per request, in µs; null when not read. */
  serverCpuUsPerRequest: number | null;
}

/** /proc/<pid>/stat counts CPU time in clock ticks of 1/100 s (USER_HZ, fixed for user space on Linux). */
const TICKS_PER_S = 100;

export async function measureLoad(
  target: LoadTarget,
  connections: number,
  durationS: number,
  warmUpS: number,
  serverPid: number | null = null,
): Promise<LoadFigures> {
  const options = { url: target.url, method: target.method ?? 'GET', headers: target.headers, body: target.body, connections };
  if (warmUpS > 0) await autocannon({ ...options, duration: warmUpS });
  const cpuBeforeS = serverPid === null ? null : await readCpuSeconds(serverPid);
  const result = await autocannon({ ...options, duration: durationS, title: target.label });
  const cpuS = cpuBeforeS === null || serverPid === null ? null : (await readCpuSeconds(serverPid)) - cpuBeforeS;
  return {
    label: target.label,
    requestsPerS: result.requests.average,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    serverCpuUsPerRequest: cpuS === null || result.requests.total === 0 ? null : (cpuS * 1e6) / result.requests.total,
  };
}

/** utime + stime of a process (fields 14 and 15 of /proc/<pid>/stat, counted after the command's closing parenthesis). */
async function readCpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
}
