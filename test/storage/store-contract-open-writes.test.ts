// The storage contract for what delivery attempts left open at their destinations (issue 15,
// item 5): recorded only under the job's lease, listed for the job's next attempt, and listed for
// the sweep only while no worker holds the job. SQLite and (with TEST_DATABASE_URL) PostgreSQL.
import { expect, it } from 'vitest';
import { FILE_EVENT } from '../../src/channels/channel.js';
import type { PlanDeliveries, Store } from '../../src/storage/store.js';
import { describeEachDialect } from '../helpers/temp-store.js';
import { createAccountWithSquid, expectAppError, pushRows, s3Config } from './store-fixtures.js';

const LEASE_MS = 1000;
const planFile: PlanDeliveries = (run, _squid, destinations) =>
  destinations.map((destination) => ({ kind: destination.kind, event: FILE_EVENT, config: destination.config, target: `${run.exportFileName}.csv` }));
const slowDown = { code: 'SlowDown', message: 'slow down', hint: null, statusCode: 503, retryable: true };

async function claimedDelivery(store: Store) {
  const { account, squid } = await createAccountWithSquid(store);
  await store.putDestination(squid.id, 's3', true, s3Config(), 50);
  const run = await store.startRun({ accountId: account.id, squidId: squid.id, nowMs: 100 });
  await pushRows(store, run.id, [{ a: 1 }]);
  await store.completeRun({ accountId: account.id, runId: run.id, reason: 'tasks_done', nowMs: 1000, exportFileName: 'f' }, planFile);
  const delivery = await store.claimDueDelivery('worker-1', 2000, LEASE_MS);
  return delivery!;
}

describeEachDialect('store contract: open writes of delivery attempts', (getStore) => {
  it('records under the lease only, and lists a job\'s records oldest first until they are forgotten', async () => {
    const store = getStore();
    const delivery = await claimedDelivery(store);
    const first = await store.recordOpenWrite({ deliveryId: delivery.id, workerId: 'worker-1', attempt: 1, ref: '{"u":1}', nowMs: 2100 });
    const second = await store.recordOpenWrite({ deliveryId: delivery.id, workerId: 'worker-1', attempt: 1, ref: '{"u":2}', nowMs: 2200 });
    await expectAppError(store.recordOpenWrite({ deliveryId: delivery.id, workerId: 'worker-2', attempt: 1, ref: '{"u":3}', nowMs: 2300 }), 'LeaseLost', 409);
    expect(await store.listOpenWrites(delivery.id)).toEqual([
      { id: first, ref: '{"u":1}', attempt: 1 },
      { id: second, ref: '{"u":2}', attempt: 1 },
    ]);
    await store.forgetOpenWrites([first]);
    expect(await store.listOpenWrites(delivery.id)).toEqual([{ id: second, ref: '{"u":2}', attempt: 1 }]);
  });

  it('lists for the sweep only the records of jobs no one holds', async () => {
    const store = getStore();
    const delivery = await claimedDelivery(store);
    const id = await store.recordOpenWrite({ deliveryId: delivery.id, workerId: 'worker-1', attempt: 1, ref: '{"u":1}', nowMs: 2100 });
    // Held: the lease runs to 3000.
    expect(await store.listUnheldOpenWrites(2500, 10)).toEqual([]);
    // The lease expired (a dead or stalled worker): the sweep may close it.
    const expired = await store.listUnheldOpenWrites(3001, 10);
    expect(expired.map(({ write, delivery: job }) => [write.id, job.id, job.config])).toEqual([[id, delivery.id, s3Config()]]);
    // Claimed again: held once more, by the next attempt.
    const next = await store.claimDueDelivery('worker-2', 3001, LEASE_MS);
    expect(next?.id).toBe(delivery.id);
    expect(await store.listUnheldOpenWrites(3500, 10)).toEqual([]);
    // Waiting for its retry: no one holds it.
    expect(await store.finishAttempt(delivery.id, 'worker-2', { nowMs: 3600, outcome: 'retrying', error: slowDown, nextAttemptAtMs: 9000 })).toBe(true);
    expect((await store.listUnheldOpenWrites(3700, 10)).map(({ write }) => write.id)).toEqual([id]);
    await store.forgetOpenWrites([id]);
    expect(await store.listUnheldOpenWrites(3700, 10)).toEqual([]);
  });
});
