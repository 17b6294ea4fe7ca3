// Store.getSquidSummary: the squid with its last run, run count and destinations in one read,
// the same answer as getSquid + getLastRun + listDestinations. Runs on every dialect.
import { describe, expect, it } from 'vitest';
import type { S3DestinationConfig } from '../../src/channels/s3/s3-config.js';
import { createConfigCache, createDecryptCache } from '../../src/storage/kysely/decrypt-cache.js';
import type { Store } from '../../src/storage/store.js';
import { describeEachDialect, testSecretBox } from '../helpers/temp-store.js';
import { createAccountWithSquid, s3Config } from './store-fixtures.js';

async function readApart(store: Store, accountId: string, squidId: string) {
  const squid = await store.getSquid(accountId, squidId);
  if (squid === null) return null;
  const { run, totalRuns } = await store.getLastRun(squidId);
  const lastRun = run === null ? null : { id: run.id, status: run.status, startedAtMs: run.startedAtMs, doneReason: run.doneReason };
  return { squid, lastRun, totalRuns, destinations: await store.listDestinations(squidId) };
}

describeEachDialect('store: squid summary', (getStore, getTemp) => {
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

  it('answers at once, where the store can, what getSquidSummary answers (SQLite; PostgreSQL always waits)', async () => {
    const store = getStore();
    const { account, squid } = await createAccountWithSquid(store);
    await store.putDestination(squid.id, 's3', true, s3Config({ bucket: 'now' }), 300);
    expect(store.getSquidSummaryNow === undefined).toBe(getTemp().dialect === 'postgres');
    if (store.getSquidSummaryNow === undefined) return;
    const now = store.getSquidSummaryNow(account.id, squid.id);
    expect(now).toEqual(await store.getSquidSummary(account.id, squid.id));
    expect(now?.destinations.map((d) => (d.config as S3DestinationConfig).bucket)).toEqual(['now']);
    expect(store.getSquidSummaryNow(account.id, '0'.repeat(32))).toBeNull();
    await store.updateSquid(account.id, squid.id, { name: 'renamed' });
    expect(store.getSquidSummaryNow(account.id, squid.id)?.squid.name).toBe('renamed');
  });
});

describe('destination config decrypt cache', () => {
  it('opens every sealed text, beyond its bound too, and never remembers a failure', () => {
    const box = createDecryptCache(testSecretBox(), 2);
    const sealed = ['a', 'b', 'c'].map((text) => box.encrypt(text));
    for (let round = 0; round < 2; round += 1) expect(sealed.map((text) => box.decrypt(text))).toEqual(['a', 'b', 'c']);
    const tampered = `${sealed[0]!.slice(0, -4)}AAAA`;
    expect(() => box.decrypt(tampered)).toThrow(/cannot be decrypted/);
    expect(() => box.decrypt(tampered)).toThrow(/cannot be decrypted/);
  });

  it('opens and parses each sealed config, answers a copy each time, and never remembers a failure', () => {
    const box = testSecretBox();
    let decrypts = 0;
    const counting = {
      encrypt: (text: string) => box.encrypt(text),
      decrypt: (sealed: string) => {
        decrypts += 1;
        return box.decrypt(sealed);
      },
    };
    const openConfig = createConfigCache(counting, 2);
    const sealed = [s3Config({ bucket: 'a' }), s3Config({ bucket: 'b' }), s3Config({ bucket: 'c' })].map((config) => box.encrypt(JSON.stringify(config)));
    const first = openConfig(sealed[0]!) as S3DestinationConfig;
    expect(first).toEqual(s3Config({ bucket: 'a' }));
    first.bucket = 'changed by a caller';
    expect(openConfig(sealed[0]!)).toEqual(s3Config({ bucket: 'a' }));
    expect(decrypts).toBe(1);
    expect(sealed.map((text) => (openConfig(text) as S3DestinationConfig).bucket)).toEqual(['a', 'b', 'c']);
    expect((openConfig(sealed[0]!) as S3DestinationConfig).bucket).toBe('a');
    const tampered = `${sealed[1]!.slice(0, -4)}AAAA`;
    expect(() => openConfig(tampered)).toThrow(/cannot be decrypted/);
    expect(() => openConfig(tampered)).toThrow(/cannot be decrypted/);
  });
});
