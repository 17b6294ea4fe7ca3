// One autocannon measurement, with a short unrecorded warm-up so the JIT and the connection pool
// are settled before the figures start.
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
}

export async function measureLoad(target: LoadTarget, connections: number, durationS: number, warmUpS: number): Promise<LoadFigures> {
  const options = { url: target.url, method: target.method ?? 'GET', headers: target.headers, body: target.body, connections };
  if (warmUpS > 0) await autocannon({ ...options, duration: warmUpS });
  const result = await autocannon({ ...options, duration: durationS, title: target.label });
  return {
    label: target.label,
    requestsPerS: result.requests.average,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}
