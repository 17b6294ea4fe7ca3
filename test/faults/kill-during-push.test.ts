// A process killed with SIGKILL in the middle of a results push (issue 15, item 5): its
// uncommitted rows are deleted within the cleanup interval by a process that keeps running (on
// PostgreSQL another API process; on SQLite the restarted one, without a second restart), and a
// slow push that is alive the whole time in the surviving process is never taken for a dead one.
// Real processes; the settings shorten the heartbeat, the stale age and the sweep interval.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BUILT_IN_CRAWLER } from '../../src/domain/crawlers.js';
import { pollUntil } from '../helpers/poll-until.js';
import { createSharedSecrets, killAllSquidshipProcesses, startSquidshipProcess, type SquidshipProcess } from '../helpers/squidship-process.js';
import { createTempPostgresDatabase, testDatabaseUrl } from '../helpers/temp-store.js';
import { createApiClient, getRun, startRun } from '../process/squidship-api.js';
import { countOrphans, openPush, type DatabaseRef } from './open-push.js';

const INGEST_STALE_MS = 1500;
const CLEANUP_ENV = {
  SQUIDSHIP_INGEST_HEARTBEAT_MS: '200',
  SQUIDSHIP_INGEST_STALE_MS: String(INGEST_STALE_MS),
  SQUIDSHIP_CLEANUP_INTERVAL_MS: '250',
};
/** About 12 MB: several append batches on either dialect, the last one held back by the open body. */
const DEAD_PUSH_ROWS = 30_000;
/** The live push's first write: enough to be read and appended before the body ends. */
const LIVE_PUSH_ROWS = 15_000;

/** Rows of about 420 bytes: the parse thread reads a streamed body in chunks of some size. */
const rowsFrom = (from: number, count: number) => Array.from({ length: count }, (_, n) => ({ n: from + n, pad: 'x'.repeat(400) }));

describe('a process killed in the middle of a push', () => {
  const cleanups: Array<() => Promise<void>> = [];

  afterEach(async () => {
    await killAllSquidshipProcesses();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function tempDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'squidship-push-kill-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }

  /** A run, on `process`'s API, with an open push that has `rows` stored and uncommitted. */
  async function pushHalfway(process: SquidshipProcess, token: string, database: DatabaseRef, name: string, rows: number) {
    const api = createApiClient(process.url!, token);
    const squid = await api.call('POST', '/v1/squids', { json: { crawler: BUILT_IN_CRAWLER.id, name } });
    const runId = await startRun(api, squid.id as string);
    const push = openPush(process.url!, token, runId);
    await push.write(rowsFrom(0, rows));
    await pollUntil(async () => (await countOrphans(database, runId)).rows > 0, { timeoutMs: 30_000, what: `stored rows of the open push to ${name}` });
    return { api, runId, push };
  }

  /**
   * Kills `doomed` mid-push, then keeps a push to `survivor` alive (a few rows every 100 ms)
   * until the dead push's rows are gone and more than the stale age has passed: the live push
   * commits every row, the dead one leaves nothing.
   */
  async function expectDeadPushSwept(input: {
    doomed: SquidshipProcess;
    survivor: () => Promise<SquidshipProcess>;
    token: string;
    database: DatabaseRef;
  }): Promise<void> {
    const dead = await pushHalfway(input.doomed, input.token, input.database, 'dead push', DEAD_PUSH_ROWS);
    input.doomed.kill('SIGKILL');
    expect(await input.doomed.waitForExit(10_000)).toEqual({ code: null, signal: 'SIGKILL' });
    const left = await countOrphans(input.database, dead.runId);
    expect(left.rows, 'the kill leaves uncommitted rows behind').toBeGreaterThan(0);
    expect(left.ingests).toBe(1);

    const survivor = await input.survivor();
    const live = await pushHalfway(survivor, input.token, input.database, 'live push', LIVE_PUSH_ROWS);
    const liveOpenedAt = Date.now();
    let written = LIVE_PUSH_ROWS;
    const swept = await pollUntil(
      async () => {
        await live.push.write(rowsFrom(written, 5));
        written += 5;
        const orphans = await countOrphans(input.database, dead.runId);
        return orphans.rows === 0 && orphans.ingests === 0 && Date.now() - liveOpenedAt > INGEST_STALE_MS * 2 && orphans;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'the dead push\'s rows to be deleted' },
    );
    expect(swept).toEqual({ rows: 0, ingests: 0 });
    const answer = await live.push.end();
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toMatchObject({ accepted: written, total_results: written });
    expect(await getRun(live.api, live.runId)).toMatchObject({ status: 'running', total_results: written });
    expect(await countOrphans(input.database, live.runId)).toEqual({ rows: 0, ingests: 0 });
    expect(survivor.logEvents('ingest.stale.discarded').length).toBeGreaterThanOrEqual(1);
    expect(survivor.exitStatus, 'the survivor kept running').toBeNull();
  }

  it('SQLite: the restarted process deletes the dead push\'s rows while it runs, and keeps a live push', async () => {
    const dataDir = await tempDir();
    const secrets = createSharedSecrets();
    const env = { ...secrets.env, ...CLEANUP_ENV, SQUIDSHIP_DATA_DIR: dataDir };
    const first = await startSquidshipProcess({ role: 'api', env, name: 'first' });
    await expectDeadPushSwept({
      doomed: first,
      survivor: () => startSquidshipProcess({ role: 'api', env, name: 'restarted' }),
      token: secrets.token,
      database: { sqliteFile: join(dataDir, 'squidship.db') },
    });
  });

  it.skipIf(testDatabaseUrl() === null)('PostgreSQL: another API process deletes the dead push\'s rows, and keeps its own live push', async () => {
    const database = (await createTempPostgresDatabase())!;
    cleanups.push(() => database.drop());
    const secrets = createSharedSecrets();
    const shared = { ...secrets.env, ...CLEANUP_ENV, SQUIDSHIP_DATABASE_URL: database.databaseUrl };
    const [doomed, survivor] = await Promise.all([
      startSquidshipProcess({ role: 'api', name: 'doomed', env: { ...shared, SQUIDSHIP_DATA_DIR: await tempDir() } }),
      startSquidshipProcess({ role: 'api', name: 'survivor', env: { ...shared, SQUIDSHIP_DATA_DIR: await tempDir() } }),
    ]);
    await expectDeadPushSwept({ doomed, survivor: async () => survivor, token: secrets.token, database: { databaseUrl: database.databaseUrl } });
  });
});
