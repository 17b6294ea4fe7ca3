// Removes deleted squids' rows in the background (Store.purgeDeletedSquid), one bounded
// transaction at a time, giving the event loop back between them: with SQLite each step runs
// synchronously on the loop, so its size (SQUIDSHIP_PURGE_BATCH_ROWS) bounds the stall a request
// can see. A deletion in this process wakes it at once; otherwise it looks every intervalMs, which
// also resumes a purge that a crash or restart cut short (the deleted mark is in the database).
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Logger } from 'pino';
import { isDatabaseBusy } from '../storage/database-busy.js';
import type { Store } from '../storage/store.js';

export interface SquidPurgerOptions {
  store: Store;
  /** The process's logger (or the HTTP app's, in tests). */
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  batchRows: number;
  intervalMs: number;
}

export interface SquidPurger {
  /** Starts purging; safe to call twice. */
  start(): void;
  /** Looks for work now (a squid was just deleted). */
  wake(): void;
  /** Stops after the step in flight; safe to call twice. */
  stop(): Promise<void>;
}

export function createSquidPurger(options: SquidPurgerOptions): SquidPurger {
  const { store, logger, batchRows, intervalMs } = options;
  let state: 'idle' | 'running' | 'stopped' = 'idle';
  let timer: NodeJS.Timeout | null = null;
  let looping: Promise<void> | null = null;
  let wakeAgain = false;
  const rowsBySquid = new Map<string, number>();

  const sleep = (delayMs: number): void => {
    if (state !== 'running') return;
    timer = setTimeout(() => {
      timer = null;
      wake();
    }, delayMs);
  };

  /** Steps until nothing is left (or stop()); returns the delay before the next look. */
  async function purgeUntilIdle(): Promise<number> {
    while (state === 'running') {
      const step = await store.purgeDeletedSquid(batchRows);
      if (step === null) return intervalMs;
      const total = (rowsBySquid.get(step.squidId) ?? 0) + step.rowsDeleted;
      if (step.finished) {
        rowsBySquid.delete(step.squidId);
        logger.info({ event: 'squid.purge.finished', squidId: step.squidId, rows: total }, 'deleted squid purged');
      } else {
        rowsBySquid.set(step.squidId, total);
      }
      // Requests waiting on the loop (and, on SQLite, for the write lock) go first.
      await yieldToLoop();
    }
    return intervalMs;
  }

  async function loop(): Promise<void> {
    let delayMs = intervalMs;
    try {
      delayMs = await purgeUntilIdle();
    } catch (thrown) {
      // The rows stay marked; the next look resumes. A busy database passes: look again soon.
      if (isDatabaseBusy(thrown)) {
        logger.warn({ event: 'squid.purge.busy' }, 'the database is busy; the purge resumes shortly');
        delayMs = Math.min(intervalMs, 1000);
      } else {
        logger.error({ event: 'squid.purge.failed', err: thrown }, 'purging deleted squids failed; it resumes at the next look');
      }
    }
    if (wakeAgain) delayMs = 0;
    wakeAgain = false;
    sleep(delayMs);
  }

  function wake(): void {
    if (state !== 'running') return;
    if (looping !== null) {
      wakeAgain = true;
      return;
    }
    if (timer !== null) clearTimeout(timer);
    timer = null;
    looping = loop().finally(() => {
      looping = null;
    });
  }

  return {
    start() {
      if (state !== 'idle') return;
      state = 'running';
      wake();
    },
    wake,
    async stop() {
      state = 'stopped';
      if (timer !== null) clearTimeout(timer);
      timer = null;
      await looping;
    },
  };
}
