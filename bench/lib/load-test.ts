// One autocannon measurement at a fixed overall request rate, after an unrecorded warm-up so the
// JIT and the connection pool are settled. Latency percentiles come from every response's own
// time (autocannon's summary has no p95).
import autocannon from 'autocannon';
import { percentile } from './percentile.js';

export interface LoadTarget {
  label: string;
  url: string;
  headers?: Record<string, string>;
}

export interface LoadSettings {
  ratePerS: number;
  connections: number;
  durationS: number;
  warmUpS: number;
}

export interface LatencyFigures {
  label: string;
  requests: number;
  achievedRatePerS: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

export async function measureLatencyAtRate(target: LoadTarget, settings: LoadSettings): Promise<LatencyFigures> {
  const options = { url: target.url, method: 'GET', headers: target.headers, connections: settings.connections, overallRate: settings.ratePerS };
  if (settings.warmUpS > 0) await autocannon({ ...options, duration: settings.warmUpS });
  const latenciesMs: number[] = [];
  const run = autocannon({ ...options, duration: settings.durationS, title: target.label });
  run.on('response', (_client: unknown, _statusCode: number, _bytes: number, responseTimeMs: number) => latenciesMs.push(responseTimeMs));
  const result = await run;
  return {
    label: target.label,
    requests: result.requests.total,
    achievedRatePerS: result.requests.total / settings.durationS,
    latencyP50Ms: percentile(latenciesMs, 50),
    latencyP95Ms: percentile(latenciesMs, 95),
    latencyP99Ms: percentile(latenciesMs, 99),
    latencyMaxMs: Math.max(...latenciesMs),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}
