// The purger removes a deleted squid's rows in bounded steps and survives restarts: the deleted
// mark is in the database, so a purge cut short resumes when a process starts again.
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, expect, it } from 'vitest';
import { createSquidPurger, type SquidPurger } from '../../src/purge/squid-purger.js';
import { createPostgresStore } from '../../src/storage/postgres/create-postgres-store.js';
import { createSqliteStore } from '../../src/storage/sqlite/create-sqlite-store.js';
import type { Store } from '../../src/storage/store.js';
import { pollUntil } from '../helpers/poll-until.js';
import { describeEachDialect, testSecretBox, type TempStore } from '../helpers/temp-store.js';
import { createAccountWithSquid, pushRows, readRawTables } from '../storage/store-fixtures.js';

/** A second store on the same database, as a restarted process opens it. */
async function reopenStore(temp: TempStore): Promise<Store> {
  const store =
    temp.dialect === 'sqlite'
      ? await createSqliteStore({ filePath: join(temp.dir, 'squidship.db'), secretBox: testSecretBox() })
      : await createPostgresStore({ connectionString: temp.databaseUrl, secretBox: testSecretBox(), poolSize: 2 });
  await store.migrate();
  return store;
}

describeEachDialect('the squid purger', (getStore, getTemp) => {
  let purger: SquidPurger | null = null;
  let reopened: Store | null = null;
  afterEach(async () => {
    await purger?.stop();
    await reopened?.close();
    purger = null;
    reopened = null;
  });

  it('resumes a purge that a restart cut short, and leaves other squids alone', async () => {
    const store = getStore();
    const { account, squid } = await createAccountWithSquid(store, 'doomed');
    const kept = await createAccountWithSquid(store, 'kept');
    const run = await store.startRun({ accountId: account.id, squidId: squid.id, nowMs: 10 });
    const keptRun = await store.startRun({ accountId: kept.account.id, squidId: kept.squid.id, nowMs: 10 });
    await pushRows(store, run.id, Array.from({ length: 2500 }, (_, i) => ({ i })));
    await pushRows(store, keptRun.id, [{ kept: true }]);
    expect(await store.deleteSquid(account.id, squid.id, 20)).toBe(true);
    // One step, then the process goes away.
    expect(await store.purgeDeletedSquid(1000)).toEqual({ squidId: squid.id, rowsDeleted: 1000, finished: false });
    await store.close();
    expect((await readRawTables(getTemp(), ['results'])).length).toBe(1501);

    reopened = await reopenStore(getTemp());
    // The interval is far longer than the test: the start itself finds the unfinished purge.
    purger = createSquidPurger({ store: reopened, logger: pino({ level: 'silent' }), batchRows: 1000, intervalMs: 600_000 });
    purger.start();
    const temp = getTemp();
    await pollUntil(async () => (await readRawTables(temp, ['squids'])).length === 1, { timeoutMs: 30_000, what: 'the deleted squid to be purged' });
    expect(await readRawTables(temp, ['results'])).toMatchObject([{ data: '{"kept":true}' }]);
    expect((await readRawTables(temp, ['run_hashes', 'ingests', 'runs'])).length).toBe(3);
    expect(await reopened.purgeDeletedSquid(1000)).toBeNull();
  }, 60_000);
});
