import { describe, expect, it } from 'vitest';
import type { DeliveryError } from '../../src/domain/types.js';
import { decideRetry, retryDeadlineMs, type RetrySettings } from '../../src/delivery/retry-policy.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.UTC(2026, 0, 5, 9, 0, 0);
const settings: RetrySettings = { retryWindowMs: DAY, maxAttempts: 0, backoffBaseMs: 2000, backoffMaxMs: 300_000 };
const top = () => 1;

const slowDown: DeliveryError = { code: 'SlowDown', message: 'Please reduce your request rate.', hint: null, statusCode: 503, retryable: true };
const accessDenied: DeliveryError = { code: 'AccessDenied', message: 'Access Denied', hint: 'check the key', statusCode: 403, retryable: false };

describe('decideRetry', () => {
  it('retries a transient failure after the backoff delay', () => {
    expect(decideRetry({ error: slowDown, attempts: 1, firstAttemptAtMs: START, nowMs: START + 500 }, settings, top)).toEqual({
      outcome: 'retrying',
      nextAttemptAtMs: START + 500 + 2000,
    });
    // The 4th failure: ceiling 2 s * 2^3, half of it with this jitter.
    expect(decideRetry({ error: slowDown, attempts: 4, firstAttemptAtMs: START, nowMs: START + 60_000 }, settings, () => 0.5)).toEqual({
      outcome: 'retrying',
      nextAttemptAtMs: START + 60_000 + 8000,
    });
  });

  it('keeps retrying long after the old 8 attempts, backoff capped at the maximum', () => {
    const nowMs = START + 20 * HOUR;
    expect(decideRetry({ error: slowDown, attempts: 250, firstAttemptAtMs: START, nowMs }, settings, top)).toEqual({
      outcome: 'retrying',
      nextAttemptAtMs: nowMs + 300_000,
    });
  });

  it('stops a permanent error at once, whatever the window', () => {
    expect(decideRetry({ error: accessDenied, attempts: 1, firstAttemptAtMs: START, nowMs: START + 10 }, settings, top)).toEqual({ outcome: 'failed' });
  });

  it('fails for good once the window from the first attempt has elapsed', () => {
    const deadline = START + DAY;
    expect(decideRetry({ error: slowDown, attempts: 300, firstAttemptAtMs: START, nowMs: deadline }, settings, top)).toEqual({ outcome: 'failed' });
    expect(decideRetry({ error: slowDown, attempts: 300, firstAttemptAtMs: START, nowMs: deadline + 1 }, settings, top)).toEqual({ outcome: 'failed' });
  });

  it('schedules the last try at the window\'s end rather than past it', () => {
    const nowMs = START + DAY - 60_000;
    expect(decideRetry({ error: slowDown, attempts: 280, firstAttemptAtMs: START, nowMs }, settings, top)).toEqual({
      outcome: 'retrying',
      nextAttemptAtMs: START + DAY,
    });
  });

  it('counts the window from the first attempt, not from the job\'s creation', () => {
    // A job first tried 3 days after it was made (no worker ran meanwhile) still gets its window.
    const firstAttemptAtMs = START + 3 * DAY;
    expect(decideRetry({ error: slowDown, attempts: 1, firstAttemptAtMs, nowMs: firstAttemptAtMs + 100 }, settings, top).outcome).toBe('retrying');
  });

  it('counts from now when the first attempt is not known', () => {
    expect(decideRetry({ error: slowDown, attempts: 1, firstAttemptAtMs: null, nowMs: START }, settings, top)).toEqual({
      outcome: 'retrying',
      nextAttemptAtMs: START + 2000,
    });
  });

  it('applies SQUIDSHIP_DELIVERY_MAX_ATTEMPTS as an extra cap when set', () => {
    const capped = { ...settings, maxAttempts: 8 };
    expect(decideRetry({ error: slowDown, attempts: 7, firstAttemptAtMs: START, nowMs: START + 1000 }, capped, top).outcome).toBe('retrying');
    expect(decideRetry({ error: slowDown, attempts: 8, firstAttemptAtMs: START, nowMs: START + 1000 }, capped, top)).toEqual({ outcome: 'failed' });
  });
});

describe('retryDeadlineMs', () => {
  it('is the first attempt plus the window', () => {
    expect(retryDeadlineMs(START, DAY)).toBe(START + DAY);
  });
});
