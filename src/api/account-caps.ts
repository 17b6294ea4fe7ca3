// Per-account caps (SQUIDSHIP_MAX_*; 0: no cap): squids an account may have, result pushes it may
// have in flight at once, rows one run may hold. Each refusal is a 4xx naming its setting.
import type { ParsedBatch } from '../ingest/parsed-batch.js';
import { AppError } from '../domain/app-error.js';
import type { HexId } from '../domain/types.js';
import type { Store } from '../storage/store.js';

/**
 * Counted from the store before the insert: two creates racing at the cap may both pass, so an
 * account can end one or two squids over it, never without bound.
 */
export async function requireSquidSlot(store: Store, accountId: HexId, maxSquids: number): Promise<void> {
  if (maxSquids === 0) return;
  const { total } = await store.listSquids(accountId, {}, { limit: 1, offset: 0 });
  if (total < maxSquids) return;
  throw new AppError('SlotsLimitExceeded', `This account has ${total} squids, the most it may have (SQUIDSHIP_MAX_SQUIDS_PER_ACCOUNT=${maxSquids}): delete one first.`, {
    status: 400,
  });
}

export interface PushSlots {
  /** Takes one of the account's push slots; call the returned function once the push is over. */
  acquire(accountId: HexId): () => void;
}

/** In this process's memory: with several API processes, each allows `maxPushes` per account. */
export function createPushSlots(maxPushes: number): PushSlots {
  const inFlight = new Map<HexId, number>();
  return {
    acquire(accountId) {
      if (maxPushes === 0) return () => undefined;
      const count = inFlight.get(accountId) ?? 0;
      if (count >= maxPushes) {
        throw new AppError('ConcurrencyLimitExceeded', `This account already has ${count} result pushes in progress, the most it may have at once (SQUIDSHIP_MAX_CONCURRENT_PUSHES_PER_ACCOUNT=${maxPushes}): retry when one has finished.`, {
          status: 429,
          retryable: true,
        });
      }
      inFlight.set(accountId, count + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (inFlight.get(accountId) ?? 1) - 1;
        if (left === 0) inFlight.delete(accountId);
        else inFlight.set(accountId, left);
      };
    },
  };
}

/**
 * Passes the batches on while the run stays within `maxRows`, counting from the rows it held when
 * the push began; the batch that would go past it fails the push, which then stores nothing.
 */
export async function* capRunRows(batches: AsyncIterable<ParsedBatch>, rowsBefore: number, maxRows: number): AsyncIterable<ParsedBatch> {
  let rows = rowsBefore;
  for await (const batch of batches) {
    rows += batch.rows.length;
    if (maxRows !== 0 && rows > maxRows) {
      batch.release?.();
      throw new AppError('UsageLimitExceeded', `This push would bring the run past ${maxRows} rows (SQUIDSHIP_MAX_ROWS_PER_RUN); none of its rows were stored.`, {
        status: 400,
      });
    }
    yield batch;
  }
}
