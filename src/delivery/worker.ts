// The delivery worker: claim due deliveries (up to config.delivery.concurrency `file` jobs and
// eventConcurrency event jobs at once), run each attempt under a lease, sleep until the next one
// is due. It is woken at once when a run completes (store.subscribeDeliveryWakeups); the poll
// interval is only a safety net. Events have slots of their own: each is one small request that
// mostly waits on its endpoint, and behind two slots sized for exports, events of many runs queued
// for the slowest endpoint's round trips (bench:webhooks: 170 of 194 ms at p50 were the queue).
import { FILE_EVENT } from '../channels/channel.js';
import type { Delivery } from '../domain/types.js';
import type { DeliveryClass } from '../storage/store.js';
import { isDatabaseBusy } from '../storage/database-busy.js';
import { interruptAttempt, runAttempt, type AttemptControl, type AttemptDeps } from './run-attempt.js';

/** A worker needs exactly what each of its attempts needs. */
export type DeliveryWorkerDeps = AttemptDeps;

export interface DeliveryWorker {
  /** Subscribes to wakeups and starts claiming. Safe to call twice. */
  start(): Promise<void>;
  /**
   * Stops claiming, lets in-flight uploads finish within config.shutdownTimeoutMs, then aborts
   * the rest (their multipart uploads are aborted) and releases their leases. Safe to call twice.
   */
  stop(): Promise<void>;
  /** Why the worker cannot deliver now (for /readyz), or null when it can. */
  checkHealth(): string | null;
}

interface InFlight extends AttemptControl {
  done: Promise<void>;
  jobClass: DeliveryClass;
}

function classOf(delivery: Delivery): DeliveryClass {
  return delivery.event === FILE_EVENT ? 'file' : 'event';
}

/** First retry delay when something is due but nothing could be claimed (a race or skew). */
const MIN_EMPTY_WAKE_MS = 10;
/** Next claim after the database was busy (SQLite locked by another process): soon, not at the next poll. */
const BUSY_CLAIM_RETRY_MS = 1000;

export function createDeliveryWorker(deps: DeliveryWorkerDeps): DeliveryWorker {
  const { store, clock, config, workerId } = deps;
  const logger = deps.logger.child({ workerId });
  const attemptDeps = { ...deps, logger };
  const inFlight = new Map<string, InFlight>();
  let state: 'idle' | 'running' | 'stopping' = 'idle';
  let startPromise: Promise<void> | null = null;
  let stopPromise: Promise<void> | null = null;
  let unsubscribe: (() => Promise<void>) | null = null;
  let timer: NodeJS.Timeout | null = null;
  let pumping: Promise<void> | null = null;
  let pumpAgain = false;
  let emptyDueWakes = 0;
  let claimFailing = false;
  let claimBusy = false;

  const limits: Record<DeliveryClass, number> = { file: config.delivery.concurrency, event: config.delivery.eventConcurrency };
  const running: Record<DeliveryClass, number> = { file: 0, event: 0 };
  /** The class a claim may take now: undefined for either, null when the worker is full. */
  const claimable = (): DeliveryClass | undefined | null => {
    const file = running.file < limits.file;
    const event = running.event < limits.event;
    if (file && event) return undefined;
    return file ? 'file' : event ? 'event' : null;
  };

  const clearTimer = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };

  const wake = (): void => {
    if (state !== 'running') return;
    if (pumping !== null) {
      pumpAgain = true;
      return;
    }
    clearTimer();
    pumping = pump()
      .catch((thrown: unknown) => logger.error({ err: thrown }, 'delivery.worker.loop_failed'))
      .finally(() => {
        pumping = null;
        // A wakeup that arrived while the loop was ending must not wait for the timer.
        if (pumpAgain) wake();
      });
  };

  const sleep = (delayMs: number): void => {
    clearTimer();
    timer = setTimeout(() => {
      timer = null;
      wake();
    }, delayMs);
  };

  async function pump(): Promise<void> {
    for (;;) {
      pumpAgain = false;
      if (!(await claimWhileRoom())) return sleep(claimBusy ? Math.min(BUSY_CLAIM_RETRY_MS, config.delivery.pollIntervalMs) : config.delivery.pollIntervalMs);
      const only = claimable();
      if (state !== 'running' || only === null) return; // a finishing attempt wakes us
      const delayMs = await computeSleepMs(only);
      if (state !== 'running') return;
      if (!pumpAgain) return sleep(delayMs);
    }
  }

  /** Claims until the worker is full or nothing it has room for is due; false when the store failed. */
  async function claimWhileRoom(): Promise<boolean> {
    for (let only = claimable(); state === 'running' && only !== null; only = claimable()) {
      let delivery: Delivery | null;
      try {
        delivery = await store.claimDueDelivery(workerId, clock(), config.delivery.leaseMs, only);
        claimFailing = false;
        claimBusy = false;
      } catch (thrown) {
        claimBusy = isDatabaseBusy(thrown);
        // Busy passes by itself: not a failure that makes the process unready.
        claimFailing = !claimBusy;
        if (claimBusy) logger.warn({ err: thrown }, 'delivery.claim.database_busy');
        else logger.error({ err: thrown }, 'delivery.claim.failed');
        return false;
      }
      if (delivery === null) return true;
      emptyDueWakes = 0;
      if (state !== 'running') {
        // stop() began while the claim was in flight: give it straight back.
        await store.releaseLease(delivery.id, workerId, clock());
        return true;
      }
      launch(delivery);
    }
    return true;
  }

  /** Until the next job of a class with room is due (a full class's finishing attempt wakes us). */
  async function computeSleepMs(only: DeliveryClass | undefined): Promise<number> {
    const pollMs = config.delivery.pollIntervalMs;
    let dueAtMs: number | null;
    try {
      dueAtMs = await store.nextDeliveryDueAtMs(only);
    } catch (thrown) {
      logger.error({ err: thrown }, 'delivery.claim.failed');
      return pollMs;
    }
    if (dueAtMs === null) return pollMs;
    const waitMs = dueAtMs - clock();
    if (waitMs > 0) {
      emptyDueWakes = 0;
      return Math.min(pollMs, waitMs);
    }
    // Due already, yet the claim found nothing: back off so this can never spin.
    emptyDueWakes += 1;
    return Math.min(pollMs, MIN_EMPTY_WAKE_MS * 2 ** Math.min(emptyDueWakes, 16));
  }

  function launch(delivery: Delivery): void {
    const entry: InFlight = { controller: new AbortController(), reason: null, done: Promise.resolve(), jobClass: classOf(delivery) };
    running[entry.jobClass] += 1;
    entry.done = runAttempt(attemptDeps, delivery, entry)
      .catch((thrown: unknown) => {
        // The outcome could not be recorded; the lease will expire and the delivery be retried.
        logger.error({ deliveryId: delivery.id, err: thrown }, 'delivery.attempt.record_failed');
      })
      .finally(() => {
        inFlight.delete(delivery.id);
        running[entry.jobClass] -= 1;
        wake();
      });
    inFlight.set(delivery.id, entry);
  }

  async function drainInFlight(): Promise<void> {
    const settled = Promise.allSettled([...inFlight.values()].map((entry) => entry.done));
    let deadline: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      settled.then(() => false),
      new Promise<boolean>((resolve) => {
        deadline = setTimeout(() => resolve(true), config.shutdownTimeoutMs);
      }),
    ]);
    clearTimeout(deadline);
    if (!timedOut) return;
    logger.warn({ inFlight: inFlight.size }, 'delivery.worker.shutdown_timeout');
    for (const entry of inFlight.values()) interruptAttempt(entry, 'shutdown');
    await settled;
  }

  return {
    start() {
      if (startPromise !== null) return startPromise;
      if (stopPromise !== null) return Promise.resolve();
      state = 'running';
      startPromise = (async () => {
        unsubscribe = await store.subscribeDeliveryWakeups(wake);
        logger.info({ concurrency: limits.file, eventConcurrency: limits.event }, 'delivery.worker.started');
        wake();
      })();
      return startPromise;
    },
    stop() {
      if (stopPromise !== null) return stopPromise;
      stopPromise = (async () => {
        await startPromise?.catch(() => undefined);
        state = 'stopping';
        clearTimer();
        await unsubscribe?.();
        unsubscribe = null;
        await pumping;
        await drainInFlight();
        logger.info('delivery.worker.stopped');
      })();
      return stopPromise;
    },
    checkHealth() {
      if (state !== 'running') return state === 'idle' ? 'the delivery worker has not started' : 'the delivery worker is stopping';
      return claimFailing ? 'the delivery worker cannot claim deliveries (the log has the error)' : null;
    },
  };
}
