// Retry delays for failed deliveries: capped exponential backoff with full jitter
// (AWS Architecture Blog, "Exponential Backoff And Jitter"): the delay is uniform in
// [0, min(maxMs, baseMs * 2^(attempt-1))], so workers that failed together do not retry together.

export interface BackoffSettings {
  baseMs: number;
  maxMs: number;
}

/**
 * The delay before the next try, after `attempt` attempts (1-based) have failed.
 * `random` returns a number in [0, 1), as Math.random does; tests pass a fixed one.
 */
export function computeBackoffMs(attempt: number, settings: BackoffSettings, random: () => number = Math.random): number {
  const { baseMs, maxMs } = settings;
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  // 2^exponent overflows to Infinity for absurd attempt counts; the cap makes that harmless.
  const ceilingMs = Math.min(maxMs, baseMs * 2 ** exponent);
  const fraction = Math.min(Math.max(random(), 0), 1);
  return Math.round(ceilingMs * fraction);
}
