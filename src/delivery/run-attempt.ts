// One claimed delivery, start to end: the channel delivers under a renewed lease, then record the outcome
// with finishAttempt (which only writes while this worker holds the lease). A lost lease
// records nothing; a shutdown gives the lease back without counting a failure.
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { DeliveryFailure } from '../channels/channel.js';
import type { ChannelRegistry } from '../channels/registry.js';
import type { Config } from '../config/config.js';
import type { Clock } from '../domain/clock.js';
import type { Delivery, DeliveryError } from '../domain/types.js';
import type { Metrics } from '../metrics/metrics.js';
import { isDatabaseBusy } from '../storage/database-busy.js';
import type { AttemptResult, Store } from '../storage/store.js';
import { deliverJob } from './deliver-job.js';
import { planRunEndJobs } from './plan-deliveries.js';
import { startLeaseRenewal } from './lease-renewal.js';
import { decideRetry } from './retry-policy.js';

export interface AttemptDeps {
  store: Store;
  clock: Clock;
  config: Config;
  channels: ChannelRegistry;
  workerId: string;
  logger: Logger;
  /** The jitter source for backoff; tests may fix it. Default Math.random. */
  random?: () => number;
  /** Where attempts are counted for /metrics; absent: not counted. */
  metrics?: Metrics;
}

/** Why an in-flight attempt was interrupted from outside; null while it runs normally. */
export type InterruptReason = 'lease_lost' | 'shutdown';

export interface AttemptControl {
  controller: AbortController;
  reason: InterruptReason | null;
}

export function interruptAttempt(control: AttemptControl, reason: InterruptReason): void {
  control.reason ??= reason;
  control.controller.abort(new Error(`delivery attempt interrupted: ${reason}`));
}

export async function runAttempt(deps: AttemptDeps, delivery: Delivery, control: AttemptControl): Promise<void> {
  const { store, clock, workerId } = deps;
  const log = deps.logger.child({ deliveryId: delivery.id, runId: delivery.runId, attempt: delivery.attempts });
  const channel = deps.channels.find(delivery.kind);
  const target = channel?.describeForLog(delivery.config, delivery.target) ?? { kind: delivery.kind };
  log.info({ ...target, event: delivery.event }, 'delivery.attempt.started');
  const startedAtMs = clock();
  const renewal = startLeaseRenewal({
    store,
    clock,
    logger: log,
    workerId,
    delivery,
    leaseMs: deps.config.delivery.leaseMs,
    onLost: () => interruptAttempt(control, 'lease_lost'),
  });
  let result: AttemptResult;
  try {
    const delivered = await deliverJob({ store, channels: deps.channels, delivery, clock, logger: log, signal: control.controller.signal, nativeEncoders: deps.config.nativeCsv, workerId });
    result = { nowMs: clock(), outcome: 'succeeded', rows: delivered.rows, bytes: delivered.bytes, etag: delivered.etag ?? undefined, endpoint: delivered.endpoint };
  } catch (thrown) {
    if (control.reason === 'lease_lost') {
      log.warn('delivery.lease.lost');
      return;
    }
    if (control.reason === 'shutdown') {
      const released = await store.releaseLease(delivery.id, workerId, clock());
      log.info({ released }, 'delivery.lease.released');
      return;
    }
    result = { ...decideFailure(deps, delivery, toDeliveryError(thrown)), endpoint: thrown instanceof DeliveryFailure ? thrown.endpoint : undefined };
  } finally {
    renewal.stop();
  }
  await recordResult(deps, delivery, result, log);
  deps.metrics?.recordAttempt({ channel: delivery.kind, outcome: result.outcome, durationMs: result.nowMs - startedAtMs, rows: result.rows, bytes: result.bytes });
}

/** Tries to record an outcome while SQLite is locked by another process: 0.1 + 0.2 + ... + 1 s. */
const BUSY_RECORD_TRIES = 10;
const BUSY_RECORD_STEP_MS = 100;

/**
 * A database busy for a moment (another process holds SQLite's write lock; the store gives up
 * after a short wait so as not to block the event loop) does not lose the outcome of an upload
 * that is done: it is recorded again shortly. Other errors go up as before.
 */
async function finishAttemptWhenFree(deps: AttemptDeps, delivery: Delivery, result: AttemptResult): Promise<boolean> {
  for (let tries = 1; ; tries += 1) {
    try {
      return await deps.store.finishAttempt(delivery.id, deps.workerId, result, planRunEndJobs(deps.channels));
    } catch (thrown) {
      if (!isDatabaseBusy(thrown) || tries >= BUSY_RECORD_TRIES) throw thrown;
      await delay(BUSY_RECORD_STEP_MS * tries);
    }
  }
}

async function recordResult(deps: AttemptDeps, delivery: Delivery, result: AttemptResult, log: Logger): Promise<void> {
  const recorded = await finishAttemptWhenFree(deps, delivery, result);
  if (!recorded) {
    // Either another worker holds the job now, or the job is gone with its squid: then the
    // attempt has nothing to record, and it is no loss.
    if ((await deps.store.getDelivery(delivery.id)) === null) log.info({ outcome: result.outcome, error: result.error?.code }, 'delivery.attempt.discarded');
    else log.warn({ outcome: result.outcome }, 'delivery.lease.lost');
    return;
  }
  if (result.outcome === 'succeeded') {
    log.info({ rows: result.rows, bytes: result.bytes, etag: result.etag }, 'delivery.attempt.succeeded');
    return;
  }
  const fields = { outcome: result.outcome, error: result.error, nextAttemptAtMs: result.nextAttemptAtMs };
  if (result.outcome === 'failed') log.error(fields, 'delivery.attempt.failed');
  else log.warn(fields, 'delivery.attempt.failed');
  if (result.error?.deactivatesDestination === true) await deactivateDestination(deps, delivery, log);
}

/** The destination refused for good (a webhook's 410): it stays configured, inactive. */
async function deactivateDestination(deps: AttemptDeps, delivery: Delivery, log: Logger): Promise<void> {
  const current = (await deps.store.listDestinations(delivery.squidId)).find((destination) => destination.kind === delivery.kind);
  if (current === undefined || !current.isActive) return;
  await deps.store.putDestination(delivery.squidId, delivery.kind, false, current.config, deps.clock());
  log.warn({ squidId: delivery.squidId, kind: delivery.kind }, 'delivery.destination.deactivated');
}

/** Permanent errors stop at once; retryable ones back off until the retry window ends (retry-policy.ts). */
function decideFailure(deps: AttemptDeps, delivery: Delivery, error: DeliveryError): AttemptResult {
  const nowMs = deps.clock();
  const decision = decideRetry({ error, attempts: delivery.attempts, firstAttemptAtMs: delivery.firstAttemptAtMs, nowMs }, deps.config.delivery, deps.random);
  return decision.outcome === 'failed' ? { nowMs, outcome: 'failed', error } : { nowMs, outcome: 'retrying', error, nextAttemptAtMs: decision.nextAttemptAtMs };
}

function toDeliveryError(thrown: unknown): DeliveryError {
  if (thrown instanceof DeliveryFailure) return thrown.error;
  // Not from the channel (deliverJob has it classify those): a store failure, worth another try.
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return { code: 'InternalError', message, hint: null, statusCode: null, retryable: true };
}
