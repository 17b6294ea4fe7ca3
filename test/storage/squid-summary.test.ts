// Store.getSquidSummary: the squid with its last run, run count and destinations in one read,
// the same answer as getSquid + getLastRun + listDestinations. Runs on every dialect.
import { expect, it } from 'vitest';
import type { S3DestinationConfig } from '../../src/channels/s3/s3-config.js';
import type { Store } from '../../src/storage/store.js';
import { describeEachDialect } from '../helpers/temp-store.js';
import { createAccountWithSquid, s3Config } from './store-fixtures.js';

async function readApart(store: Store, accountId: string, squidId: string) {
  const squid = await store.getSquid(accountId, squidId);
  if (squid === null) return null;
  const { run, totalRuns } = await store.getLastRun(squidId);
  const lastRun = run === null ? null : { id: run.id, status: run.status, startedAtMs: run.startedAtMs, doneReason: run.doneReason };
  return { squid, lastRun, totalRuns, destinations: await store.listDestinations(squidId) };
}

describeEachDialect('store: squid summary', (getStore) => {
  it('reads a squid without runs or destinations', async () => {
    const store = getStore();
    const { account, squid } = await createAccountWithSquid(store);
    expect(await store.getSquidSummary(account.id, squid.id)).toEqual({ squid, lastRun: null, totalRuns: 0, destinations: [] });
  });

  it('gives the last run, the run count and the destination, as the separate reads do', async () => {
    const store = getStore();
    const { account, squid } = await createAccountWithSquid(store);
    const first = await store.startRun({ accountId: account.id, squidId: squid.id, nowMs: 100 });
    await store.completeRun({ accountId: account.id, runId: first.id, reason: 'aborted', nowMs: 150, exportFileName: 'f' }, () => []);
    const second = await store.startRun({ accountId: account.id, squidId: squid.id, nowMs: 200 });
    await store.putDestination(squid.id, 's3', true, s3Config({ bucket: 'first' }), 300);
    await store.putDestination(squid.id, 's3', false, s3Config({ bucket: 'second', endpoint: 'http://127.0.0.1:9000' }), 400);

    const summary = await store.getSquidSummary(account.id, squid.id);
    expect(summary).toEqual(await readApart(store, account.id, squid.id));
    expect(summary?.lastRun).toEqual({ id: second.id, status: 'running', startedAtMs: 200, doneReason: null });
    expect(summary?.totalRuns).toBe(2);
    expect(summary?.destinations).toEqual([
      { squidId: squid.id, kind: 's3', isActive: false, config: s3Config({ bucket: 'second', endpoint: 'http://127.0.0.1:9000' }), updatedAtMs: 400 },
    ]);
  });

  it('answers null for a squid of another account and for an unknown id', async () => {
    const store = getStore();
    const { squid } = await createAccountWithSquid(store, 'acme');
    const other = await createAccountWithSquid(store, 'other');
    expect(await store.getSquidSummary(other.account.id, squid.id)).toBeNull();
    expect(await store.getSquidSummary(other.account.id, '0'.repeat(32))).toBeNull();
  });

  it('shows a change at once, and the destination\'s config as stored', async () => {
    const store = getStore();
    const { account, squid } = await createAccountWithSquid(store);
    await store.putDestination(squid.id, 's3', true, s3Config({ bucket: 'now' }), 300);
    expect((await store.getSquidSummary(account.id, squid.id))?.destinations.map((d) => (d.config as S3DestinationConfig).bucket)).toEqual(['now']);
    await store.updateSquid(account.id, squid.id, { name: 'renamed' });
    expect((await store.getSquidSummary(account.id, squid.id))?.squid.name).toBe('renamed');
  });
});
