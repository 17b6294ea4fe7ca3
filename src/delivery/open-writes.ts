// Closing what delivery attempts left open at their destinations (S3: multipart uploads of an
// attempt killed mid-way, or whose abort failed during an outage). A channel records what it
// opens (AttemptContext.recordOpenWrite); the job's next attempt closes its predecessors' first,
// and the worker's sweep closes those of jobs no one holds (finished, or waiting to retry).
import type { Logger } from 'pino';
import type { DeliveryChannel, OpenWriteRecord } from '../channels/channel.js';
import type { ChannelRegistry } from '../channels/registry.js';
import type { Clock } from '../domain/clock.js';
import type { Delivery } from '../domain/types.js';
import type { OpenWrite, Store } from '../storage/store.js';

/** AttemptContext.recordOpenWrite for one attempt of `delivery` under `workerId`'s lease. */
export function createOpenWriteRecorder(input: { store: Store; delivery: Delivery; workerId: string; clock: Clock; logger: Logger }) {
  const { store, delivery } = input;
  return async (ref: string): Promise<OpenWriteRecord> => {
    const id = await store.recordOpenWrite({ deliveryId: delivery.id, workerId: input.workerId, attempt: delivery.attempts, ref, nowMs: input.clock() });
    return {
      async forget() {
        // Closed already; a record left behind costs one more close, which finds it gone.
        await store.forgetOpenWrites([id]).catch((error: unknown) => {
          input.logger.warn({ event: 'delivery.open_write.forget_failed', err: error }, 'delivery.open_write.forget_failed');
        });
      },
    };
  };
}

/** Before an attempt, under its lease: closes what earlier attempts of the job left open. */
export async function cleanUpBeforeAttempt(input: {
  store: Store;
  channel: DeliveryChannel;
  delivery: Delivery;
  signal: AbortSignal;
  logger: Logger;
}): Promise<void> {
  const { channel, delivery } = input;
  if (channel.cleanUp === undefined) return;
  const writes = await input.store.listOpenWrites(delivery.id);
  // A job's first attempt has no predecessor to clean up after: the common case costs one query.
  if (writes.length === 0 && delivery.attempts <= 1) return;
  await closeWrites(input.store, channel, delivery, writes, { signal: input.signal, logger: input.logger, holdsJob: true });
}

/**
 * One pass of the worker's sweep: up to `limit` records of jobs no one holds, closed by their
 * channels. Returns how many were closed.
 */
export async function sweepOpenWrites(input: {
  store: Store;
  channels: ChannelRegistry;
  clock: Clock;
  signal: AbortSignal;
  logger: Logger;
  limit: number;
}): Promise<number> {
  const found = await input.store.listUnheldOpenWrites(input.clock(), input.limit);
  const byDelivery = new Map<string, { delivery: Delivery; writes: OpenWrite[] }>();
  for (const { write, delivery } of found) {
    const entry = byDelivery.get(delivery.id) ?? { delivery, writes: [] };
    entry.writes.push(write);
    byDelivery.set(delivery.id, entry);
  }
  let closed = 0;
  for (const { delivery, writes } of byDelivery.values()) {
    if (input.signal.aborted) break;
    // A kind no longer registered keeps its records: a server that has the channel again closes them.
    const channel = input.channels.find(delivery.kind);
    if (channel?.cleanUp === undefined) continue;
    const logger = input.logger.child({ deliveryId: delivery.id, runId: delivery.runId });
    closed += await closeWrites(input.store, channel, delivery, writes, { signal: input.signal, logger, holdsJob: false });
  }
  return closed;
}

async function closeWrites(
  store: Store,
  channel: DeliveryChannel,
  delivery: Delivery,
  writes: readonly OpenWrite[],
  ctx: { signal: AbortSignal; logger: Logger; holdsJob: boolean },
): Promise<number> {
  const closedRefs = new Set(await channel.cleanUp!(delivery.config, delivery.target, writes.map((write) => write.ref), ctx));
  const closed = writes.filter((write) => closedRefs.has(write.ref));
  await store.forgetOpenWrites(closed.map((write) => write.id));
  if (closed.length > 0) ctx.logger.info({ event: 'delivery.open_writes.closed', closed: closed.length, left: writes.length - closed.length }, 'delivery.open_writes.closed');
  return closed.length;
}
