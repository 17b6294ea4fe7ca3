// The storage contract, part 2: run completion, the delivery queue with leases (an injected
// clock: every call takes nowMs), run finalisation and re-delivery. SQLite and PostgreSQL.
import { expect, it } from 'vitest';
import { FILE_EVENT } from '../../src/channels/channel.js';
import { createChannelRegistry } from '../../src/channels/registry.js';
import { createEgressPolicy } from '../../src/egress/egress-policy.js';
import { createS3Channel } from '../../src/channels/s3/s3-channel.js';
import { planJobsFor } from '../../src/delivery/plan-deliveries.js';
import type { PlanDeliveries, Store } from '../../src/storage/store.js';
import { describeEachDialect } from '../helpers/temp-store.js';
import { ACCESS_KEY, createAccountWithSquid, expectAppError, pushRows, readRawTables, s3Config, SECRET_KEY } from './store-fixtures.js';
import { pollUntil } from '../helpers/poll-until.js';

const LEASE_MS = 1000;
const error503 = { code: 'SlowDown', message: 'slow down', hint: null, statusCode: 503, retryable: true };
const errorDenied = { code: 'AccessDenied', message: 'denied', hint: 'grant s3:PutObject', statusCode: 403, retryable: false };

/** Plans one delivery per active destination, whatever its kind (two kinds = two deliveries). */
const planEveryKind: PlanDeliveries = (run, _squid, destinations) =>
  destinations.map((destination) => ({ kind: destination.kind, event: FILE_EVENT, config: destination.config, target: `${run.exportFileName}.${destination.kind}` }));

/** Production planning, with the S3 channel registered. */
const S3_SETTINGS = { partSizeBytes: 5 * 1024 * 1024, queueSize: 1, requestTimeoutMs: 1000, probeTimeoutMs: 1000 };
const planDeliveries = planJobsFor(createChannelRegistry([createS3Channel({ defaults: { endpoint: null, region: null, forcePathStyle: null }, settings: S3_SETTINGS, egress: createEgressPolicy({ allow: [], implicitOrigins: [] }) })]), FILE_EVENT);

async function completedRun(store: Store, options: { destinations?: number; reason?: 'tasks_done' | 'aborted' } = {}) {
  const { account, squid } = await createAccountWithSquid(store);
  const kinds = (['s3', 'webhook'] as const).slice(0, options.destinations ?? 1);
  for (const kind of kinds) await store.putDestination(squid.id, kind, true, s3Config({ targetPath: `to/${kind}` }), 50);
  const run = await store.startRun({ accountId: account.id, squidId: squid.id, nowMs: 100 });
  await pushRows(store, run.id, [{ a: 1 }]);
  const input = { accountId: account.id, runId: run.id, reason: options.reason ?? 'tasks_done', nowMs: 1000, exportFileName: 'acme_20250101_0000_abcdef12' } as const;
  const completed = await store.completeRun(input, planEveryKind);
  return { account, squid, ...completed };
}

describeEachDialect('store contract: run completion and deliveries', (getStore, getTemp) => {
  it('completes a run without destinations as done or aborted, with no export', async () => {
    const store = getStore();
    const { account, squid } = await createAccountWithSquid(store);
    const run = await store.startRun({ accountId: account.id, squidId: squid.id, nowMs: 100 });
    const done = await store.completeRun({ accountId: account.id, runId: run.id, reason: 'tasks_done', nowMs: 500, exportFileName: 'x' }, planDeliveries);
    expect(done.deliveries).toEqual([]);
    expect(done.run).toMatchObject({ status: 'done', doneReason: 'tasks_done', endedAtMs: 500, exportDone: null, exportFileName: 'x', exportCount: 0 });
    await expectAppError(store.completeRun({ accountId: account.id, runId: run.id, reason: 'tasks_done', nowMs: 600, exportFileName: 'x' }, planDeliveries), 'RunNotRunning', 409);
    const next = await store.startRun({ accountId: account.id, squidId: squid.id, nowMs: 700 });
    const aborted = await store.completeRun({ accountId: account.id, runId: next.id, reason: 'aborted', nowMs: 800, exportFileName: 'y' }, planDeliveries);
    expect(aborted.run).toMatchObject({ status: 'aborted', doneReason: 'aborted', exportDone: null });
  });

  it('enqueues one delivery per active destination, decrypted on read, and wakes subscribers', async () => {
    const store = getStore();
    const { account, squid } = await createAccountWithSquid(store);
    await store.putDestination(squid.id, 's3', false, s3Config({ bucket: 'old' }), 10);
    await store.putDestination(squid.id, 's3', true, s3Config(), 20);
    expect(await store.listDestinations(squid.id)).toEqual([{ squidId: squid.id, kind: 's3', isActive: true, config: s3Config(), updatedAtMs: 20 }]);
    let wakeups = 0;
    const unsubscribe = await store.subscribeDeliveryWakeups(() => (wakeups += 1));
    const run = await store.startRun({ accountId: account.id, squidId: squid.id, nowMs: 100 });
    const input = { accountId: account.id, runId: run.id, reason: 'tasks_done', nowMs: 1000, exportFileName: 'acme_20250101_0000_abcdef12' } as const;
    const { run: uploading, deliveries } = await store.completeRun(input, planDeliveries);
    expect(uploading).toMatchObject({ status: 'uploading', doneReason: 'tasks_done', exportDone: null });
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ runId: run.id, squidId: squid.id, accountId: account.id, kind: 's3', round: 1, status: 'pending', config: s3Config(), target: 'exports/acme_20250101_0000_abcdef12.csv', attempts: 0, firstAttemptAtMs: null, nextAttemptAtMs: 1000, lockedBy: null, lastError: null, finishedAtMs: null });
    await pollUntil(() => wakeups > 0, { timeoutMs: 10_000, what: 'a delivery wake-up' });
    await unsubscribe();
    expect(await store.nextDeliveryDueAtMs()).toBe(1000);
    expect(await store.listRunDeliveries(account.id, run.id)).toEqual([{ ...deliveries[0], attemptList: [] }]);
    const other = await store.createAccount({ name: 'other', email: 'o@example.com', nowMs: 1 });
    expect(await store.listRunDeliveries(other.id, run.id)).toEqual([]);
  });

  it('plans the run end jobs with the finalised run when its last file job ends, and keeps each attempt\'s endpoint answer', async () => {
    const store = getStore();
    const { account, run } = await completedRun(store, { destinations: 2 });
    const seen: { status: string; doneReason: string | null }[] = [];
    const planEnd: PlanDeliveries = (finalised, _squid, destinations) => {
      seen.push({ status: finalised.status, doneReason: finalised.doneReason });
      return destinations.map((destination) => ({ kind: destination.kind, event: 'run.error', config: destination.config, target: null }));
    };
    const first = await store.claimDueDelivery('worker-a', 2000, LEASE_MS);
    const endpoint = { statusCode: 500, latencyMs: 12, bodyExcerpt: 'oops' };
    expect(await store.finishAttempt(first!.id, 'worker-a', { nowMs: 2100, outcome: 'failed', error: errorDenied, endpoint }, planEnd)).toBe(true);
    expect(seen).toEqual([]);
    const second = await store.claimDueDelivery('worker-a', 2200, LEASE_MS);
    expect(await store.finishAttempt(second!.id, 'worker-a', { nowMs: 2300, outcome: 'succeeded', rows: 1, bytes: 9 }, planEnd)).toBe(true);
    expect(seen).toEqual([{ status: 'done', doneReason: 'export_failed' }]);
    const deliveries = await store.listRunDeliveries(account.id, run.id);
    expect(deliveries.map((delivery) => [delivery.event, delivery.kind, delivery.round, delivery.status])).toEqual([
      ['file', 's3', 1, 'failed'], ['file', 'webhook', 1, 'succeeded'], ['run.error', 's3', 1, 'pending'], ['run.error', 'webhook', 1, 'pending'],
    ]);
    expect(deliveries[0]!.attemptList[0]!.endpoint).toEqual(endpoint);
    expect(deliveries[1]!.attemptList[0]!.endpoint).toBeNull();
  });

  it('never stores the S3 keys in clear', async () => {
    const store = getStore();
    await completedRun(store);
    const text = JSON.stringify(await readRawTables(getTemp(), ['destinations', 'deliveries']));
    expect(text).toContain('v1:');
    expect(text).not.toContain(SECRET_KEY);
    expect(text).not.toContain(ACCESS_KEY);
  });

  it('leases a delivery: a second claimer waits, renewals extend, success finalises the run', async () => {
    const store = getStore();
    const { account, run } = await completedRun(store);
    const claimed = await store.claimDueDelivery('worker-a', 2000, LEASE_MS);
    expect(claimed).toMatchObject({ status: 'running', lockedBy: 'worker-a', lockedUntilMs: 3000, attempts: 1 });
    expect(await store.claimDueDelivery('worker-b', 2500, LEASE_MS)).toBeNull();
    expect(await store.renewLease(claimed!.id, 'worker-b', 9999)).toBe(false);
    expect(await store.renewLease(claimed!.id, 'worker-a', 4000)).toBe(true);
    expect(await store.nextDeliveryDueAtMs()).toBe(4000);
    expect(await store.claimDueDelivery('worker-b', 3500, LEASE_MS)).toBeNull();
    const result = { nowMs: 3600, outcome: 'succeeded', rows: 1, bytes: 10, etag: '"abc"' } as const;
    expect(await store.finishAttempt(claimed!.id, 'worker-a', result)).toBe(true);
    expect(await store.getRun(account.id, run.id)).toMatchObject({ status: 'done', doneReason: 'tasks_done', exportDone: true, exportCount: 1, exportTimeMs: 3600 });
    const delivery = await store.getDelivery(claimed!.id);
    expect(delivery).toMatchObject({ status: 'succeeded', lockedBy: null, lockedUntilMs: null, finishedAtMs: 3600, attempts: 1 });
    expect(delivery!.attemptList).toEqual([
      { deliveryId: claimed!.id, number: 1, workerId: 'worker-a', startedAtMs: 2000, endedAtMs: 3600, outcome: 'succeeded', error: null, rows: 1, bytes: 10, target: claimed!.target, etag: '"abc"', endpoint: null },
    ]);
    expect(await store.nextDeliveryDueAtMs()).toBeNull();
    expect(await store.finishAttempt(claimed!.id, 'worker-a', result)).toBe(false);
  });

  it('hands an expired lease to another worker and rejects the late writer', async () => {
    const store = getStore();
    const { account, run } = await completedRun(store);
    const first = await store.claimDueDelivery('worker-a', 2000, LEASE_MS);
    const second = await store.claimDueDelivery('worker-b', 3001, LEASE_MS);
    expect(second).toMatchObject({ id: first!.id, lockedBy: 'worker-b', attempts: 2, lockedUntilMs: 4001, firstAttemptAtMs: 2000 });
    const before = await store.getDelivery(first!.id);
    expect(before!.attemptList.map((a) => [a.number, a.workerId, a.outcome, a.endedAtMs])).toEqual([[1, 'worker-a', 'lease_expired', 3001], [2, 'worker-b', null, null]]);
    expect(await store.finishAttempt(first!.id, 'worker-a', { nowMs: 3100, outcome: 'failed', error: errorDenied })).toBe(false);
    expect(await store.renewLease(first!.id, 'worker-a', 9000)).toBe(false);
    expect(await store.releaseLease(first!.id, 'worker-a', 3100)).toBe(false);
    expect(await store.getDelivery(first!.id)).toEqual(before);
    expect(await store.getRun(account.id, run.id)).toMatchObject({ status: 'uploading' });
    expect(await store.finishAttempt(first!.id, 'worker-b', { nowMs: 3200, outcome: 'succeeded', rows: 1, bytes: 9 })).toBe(true);
    expect(await store.getRun(account.id, run.id)).toMatchObject({ status: 'done', exportDone: true, exportCount: 1 });
  });

  it('retries at the given time, and a release makes the delivery due again without a failure', async () => {
    const store = getStore();
    const { run } = await completedRun(store);
    const first = await store.claimDueDelivery('worker-a', 2000, LEASE_MS);
    // The retry window counts from the first attempt's start: every later claim carries it.
    expect(first).toMatchObject({ attempts: 1, firstAttemptAtMs: 2000 });
    expect(await store.finishAttempt(first!.id, 'worker-a', { nowMs: 2100, outcome: 'retrying', nextAttemptAtMs: 5000, error: error503 })).toBe(true);
    expect(await store.getDelivery(first!.id)).toMatchObject({ status: 'pending', nextAttemptAtMs: 5000, lockedBy: null, lastError: error503, attempts: 1, firstAttemptAtMs: 2000 });
    expect(await store.getRunById(run.id)).toMatchObject({ status: 'uploading' });
    expect(await store.nextDeliveryDueAtMs()).toBe(5000);
    expect(await store.claimDueDelivery('worker-b', 4999, LEASE_MS)).toBeNull();
    const second = await store.claimDueDelivery('worker-b', 5000, LEASE_MS);
    expect(second).toMatchObject({ attempts: 2, lockedBy: 'worker-b', firstAttemptAtMs: 2000 });
    expect(await store.releaseLease(second!.id, 'worker-b', 5100)).toBe(true);
    const released = await store.getDelivery(second!.id);
    expect(released).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAtMs: 5100, lockedBy: null, lockedUntilMs: null });
    expect(released!.attemptList.map((attempt) => attempt.outcome)).toEqual(['retrying']);
    expect(await store.claimDueDelivery('worker-c', 5100, LEASE_MS)).toMatchObject({ attempts: 2, lockedBy: 'worker-c', firstAttemptAtMs: 2000 });
  });

  it('finalises a run only when every delivery of the round is over: export_failed, then export_fix', async () => {
    const store = getStore();
    const { account, run, deliveries } = await completedRun(store, { destinations: 2 });
    expect(deliveries.map((delivery) => delivery.kind)).toEqual(['s3', 'webhook']);
    const a = await store.claimDueDelivery('worker-a', 2000, LEASE_MS);
    const b = await store.claimDueDelivery('worker-b', 2000, LEASE_MS);
    expect(new Set([a!.id, b!.id]).size).toBe(2);
    expect(await store.finishAttempt(a!.id, 'worker-a', { nowMs: 2100, outcome: 'succeeded' })).toBe(true);
    expect(await store.getRunById(run.id)).toMatchObject({ status: 'uploading', exportCount: 1 });
    expect(await store.finishAttempt(b!.id, 'worker-b', { nowMs: 2200, outcome: 'failed', error: errorDenied })).toBe(true);
    expect(await store.getRunById(run.id)).toMatchObject({ status: 'done', doneReason: 'export_failed', exportDone: false, exportCount: 1, exportTimeMs: 2200 });
    expect(await store.getDelivery(b!.id)).toMatchObject({ status: 'failed', finishedAtMs: 2200, lastError: errorDenied });

    const round2 = await store.enqueueRedelivery(account.id, run.id, 3000, planEveryKind);
    expect(round2.map((delivery) => [delivery.round, delivery.status, delivery.target])).toEqual([[2, 'pending', deliveries[0]!.target], [2, 'pending', deliveries[1]!.target]]);
    expect(await store.getRunById(run.id)).toMatchObject({ status: 'uploading', doneReason: 'export_failed' });
    await expectAppError(store.enqueueRedelivery(account.id, run.id, 3000, planEveryKind), 'DeliveryInProgress', 409);
    for (const worker of ['worker-c', 'worker-d']) {
      const claimed = await store.claimDueDelivery(worker, 3100, LEASE_MS);
      expect(claimed!.round).toBe(2);
      expect(await store.finishAttempt(claimed!.id, worker, { nowMs: 3200, outcome: 'succeeded' })).toBe(true);
    }
    expect(await store.getRunById(run.id)).toMatchObject({ status: 'done', doneReason: 'export_fix', exportDone: true, exportCount: 3, exportTimeMs: 3200 });
    expect((await store.listRunDeliveries(account.id, run.id)).map((d) => [d.round, d.status])).toEqual([[1, 'succeeded'], [1, 'failed'], [2, 'succeeded'], [2, 'succeeded']]);
  });

  it('keeps an aborted run aborted after its partial results are delivered', async () => {
    const store = getStore();
    const { run } = await completedRun(store, { reason: 'aborted' });
    expect(run).toMatchObject({ status: 'uploading', doneReason: 'aborted' });
    const claimed = await store.claimDueDelivery('worker-a', 2000, LEASE_MS);
    await store.finishAttempt(claimed!.id, 'worker-a', { nowMs: 2100, outcome: 'succeeded' });
    expect(await store.getRunById(run.id)).toMatchObject({ status: 'aborted', doneReason: 'aborted', exportDone: true });
  });

  it('refuses a re-delivery of an unfinished run or a squid without an active destination', async () => {
    const store = getStore();
    const { account, squid } = await createAccountWithSquid(store);
    const running = await store.startRun({ accountId: account.id, squidId: squid.id, nowMs: 100 });
    await expectAppError(store.enqueueRedelivery(account.id, running.id, 200, planDeliveries), 'RunNotFinished', 409);
    await store.completeRun({ accountId: account.id, runId: running.id, reason: 'tasks_done', nowMs: 300, exportFileName: 'f' }, planDeliveries);
    const error = await expectAppError(store.enqueueRedelivery(account.id, running.id, 400, planDeliveries), 'NoActiveDelivery', 400);
    expect(error.message).toBe('configure an active delivery for this squid first (POST /v1/delivery?squid=...)');
    await store.putDestination(squid.id, 's3', false, s3Config(), 500);
    await expectAppError(store.enqueueRedelivery(account.id, running.id, 600, planDeliveries), 'NoActiveDelivery', 400);
    const other = await store.createAccount({ name: 'other', email: 'o@example.com', nowMs: 1 });
    await expectAppError(store.enqueueRedelivery(other.id, running.id, 600, planDeliveries), 'RunDoesNotExist', 404);
    await store.putDestination(squid.id, 's3', true, s3Config(), 700);
    let wakeups = 0;
    const unsubscribe = await store.subscribeDeliveryWakeups(() => (wakeups += 1));
    const [delivery] = await store.enqueueRedelivery(account.id, running.id, 800, planDeliveries);
    expect(delivery).toMatchObject({ round: 1, status: 'pending' });
    await pollUntil(() => wakeups > 0, { timeoutMs: 10_000, what: 'a wake-up for the re-delivery' });
    await unsubscribe();
  });
  it('enqueues a run start\'s jobs in the start\'s transaction; they never hold the run in uploading', async () => {
    const store = getStore();
    const { account, squid } = await createAccountWithSquid(store);
    await store.putDestination(squid.id, 'hook', true, { url: 'http://127.0.0.1/' }, 50);
    const failing: PlanDeliveries = () => {
      throw new Error('planning failed');
    };
    await expect(store.startRun({ accountId: account.id, squidId: squid.id, nowMs: 100 }, failing)).rejects.toThrow('planning failed');
    expect((await store.getLastRun(squid.id)).totalRuns).toBe(0);
    const onStart: PlanDeliveries = (run, _squid, destinations) =>
      destinations.map((destination) => ({ kind: destination.kind, event: 'run.running', config: destination.config, target: null }));
    const run = await store.startRun({ accountId: account.id, squidId: squid.id, nowMs: 200 }, onStart);
    const [job] = await store.listRunDeliveries(account.id, run.id);
    expect(job).toMatchObject({ kind: 'hook', event: 'run.running', round: 1, status: 'pending', target: null, config: { url: 'http://127.0.0.1/' } });
    const claimed = await store.claimDueDelivery('worker-a', 300, LEASE_MS);
    await store.finishAttempt(claimed!.id, 'worker-a', { nowMs: 400, outcome: 'succeeded' });
    expect(await store.getRunById(run.id)).toMatchObject({ status: 'running', exportCount: 0 });
    const { run: ended, deliveries } = await store.completeRun({ accountId: account.id, runId: run.id, reason: 'tasks_done', nowMs: 500, exportFileName: 'f' }, () => []);
    expect([ended.status, deliveries]).toEqual(['done', []]);
  });

  it('claims by class (file or event), and an event only after the earlier events of its run and destination', async () => {
    const store = getStore();
    const { account, squid } = await createAccountWithSquid(store);
    await store.putDestination(squid.id, 's3', true, s3Config(), 50);
    await store.putDestination(squid.id, 'hook', true, { url: 'http://127.0.0.1/' }, 50);
    const onEvent = (event: string): PlanDeliveries => (_run, _squid, destinations) =>
      destinations.filter((destination) => destination.kind === 'hook').map((destination) => ({ kind: 'hook', event, config: destination.config, target: null }));
    const run = await store.startRun({ accountId: account.id, squidId: squid.id, nowMs: 100 }, onEvent('run.running'));
    const input = { accountId: account.id, runId: run.id, reason: 'tasks_done', nowMs: 200, exportFileName: 'f' } as const;
    const planFileAndDone: PlanDeliveries = (planned, squidRow, destinations) => [
      ...planEveryKind(planned, squidRow, destinations.filter((destination) => destination.kind === 's3')),
      ...onEvent('run.done')(planned, squidRow, destinations),
    ];
    await store.completeRun(input, planFileAndDone);
    // Due, oldest first: run.running (100), the file job and run.done (200).
    expect(await store.nextDeliveryDueAtMs('file')).toBe(200);
    const file = await store.claimDueDelivery('worker-a', 300, LEASE_MS, 'file');
    expect(file).toMatchObject({ event: 'file', kind: 's3' });
    const running = await store.claimDueDelivery('worker-a', 300, LEASE_MS, 'event');
    expect(running).toMatchObject({ event: 'run.running' });
    // run.done waits for run.running, in flight: nothing else is claimable, nor due.
    expect(await store.claimDueDelivery('worker-a', 300, LEASE_MS)).toBeNull();
    expect(await store.nextDeliveryDueAtMs('event')).toBe(300 + LEASE_MS);
    // Retrying still holds it back; once run.running is over, run.done goes.
    await store.finishAttempt(running!.id, 'worker-a', { nowMs: 400, outcome: 'retrying', error: error503, nextAttemptAtMs: 900 });
    expect(await store.nextDeliveryDueAtMs('event')).toBe(900);
    expect(await store.claimDueDelivery('worker-a', 500, LEASE_MS, 'event')).toBeNull();
    const again = await store.claimDueDelivery('worker-a', 900, LEASE_MS, 'event');
    expect(again).toMatchObject({ id: running!.id });
    await store.finishAttempt(again!.id, 'worker-a', { nowMs: 950, outcome: 'failed', error: errorDenied });
    expect(await store.claimDueDelivery('worker-a', 960, LEASE_MS, 'file')).toBeNull();
    expect(await store.claimDueDelivery('worker-a', 960, LEASE_MS, 'event')).toMatchObject({ event: 'run.done' });
  });
});
