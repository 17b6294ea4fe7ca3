// What a failed attempt leads to: another try later, or the end. Transient failures are retried
// for a window of time rather than a number of attempts, so that an outage of hours (an S3
// region down, a webhook endpoint being redeployed) ends in a delivery, not in export_failed
// after the few minutes a fixed attempt count lasts. Pure: the caller passes the clock's time.
import type { DeliveryError } from '../domain/types.js';
import { computeBackoffMs } from './backoff.js';

export interface RetrySettings {
  /** Retries happen until this long after the first attempt started. */
  retryWindowMs: number;
  /** An extra cap on attempts; 0: none. */
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export interface FailedAttempt {
  error: DeliveryError;
  /** Attempts made so far, this one included (1-based). */
  attempts: number;
  /** When attempt 1 started; null (not known) counts from `nowMs`. */
  firstAttemptAtMs: number | null;
  nowMs: number;
}

export type RetryDecision = { outcome: 'failed' } | { outcome: 'retrying'; nextAttemptAtMs: number };

/** The last time an attempt may start: the end of the retry window. */
export function retryDeadlineMs(firstAttemptAtMs: number, retryWindowMs: number): number {
  return firstAttemptAtMs + retryWindowMs;
}

/**
 * Permanent errors stop at once. A retryable one is tried again after the backoff delay, but
 * never later than the window's end: the last try starts at the deadline, so a retry that the
 * jitter would have put past it still happens, and a failure at or after the deadline is final.
 */
export function decideRetry(failed: FailedAttempt, settings: RetrySettings, random: () => number = Math.random): RetryDecision {
  const { error, attempts, nowMs } = failed;
  if (!error.retryable) return { outcome: 'failed' };
  if (settings.maxAttempts > 0 && attempts >= settings.maxAttempts) return { outcome: 'failed' };
  const deadlineMs = retryDeadlineMs(failed.firstAttemptAtMs ?? nowMs, settings.retryWindowMs);
  if (nowMs >= deadlineMs) return { outcome: 'failed' };
  const delayMs = computeBackoffMs(attempts, { baseMs: settings.backoffBaseMs, maxMs: settings.backoffMaxMs }, random);
  return { outcome: 'retrying', nextAttemptAtMs: Math.min(nowMs + delayMs, deadlineMs) };
}
