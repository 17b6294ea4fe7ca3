// Another process holding the SQLite write lock (a shell, a backup script) past the busy timeout:
// a write answers 503 DatabaseBusy with Retry-After, not a 500, and works again once it is free.
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createTempSqliteStore, type TempSqliteStore } from '../helpers/temp-store.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

describe('a busy SQLite database', () => {
  let temp: TempSqliteStore | null = null;
  let server: TestServer | null = null;
  let locker: SqliteDatabase.Database | null = null;
  afterEach(async () => {
    locker?.close();
    await server?.close();
    await temp?.cleanup();
  });

  it('answers a write 503 DatabaseBusy with Retry-After while another connection holds the write lock', async () => {
    temp = await createTempSqliteStore();
    server = await startTestServer({ store: temp.store });
    locker = new SqliteDatabase(join(temp.dir, 'squidship.db'));
    locker.exec('BEGIN IMMEDIATE');
    const busy = await server.request('POST', '/v1/squids', { name: 'while locked' });
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('2');
    expect(busy.body.errors).toMatchObject({ type: 'DatabaseBusy', code: 503 });
    locker.exec('ROLLBACK');
    expect((await server.request('POST', '/v1/squids', { name: 'after' })).status).toBe(200);
  }, 20_000);
});
