// End to end through the API: configure S3 delivery as Lobstr documents it, push rows, complete
// the run, and read the object back from a real S3-compatible server, byte for byte.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTempPostgresStore, testDatabaseUrl, type TempPostgresStore } from '../helpers/temp-store.js';
import { lobstrS3Fields, MIB, startDeliveryFixture, type DeliveryFixture } from './delivery-fixture.js';

const dialects = testDatabaseUrl() === null ? (['sqlite'] as const) : (['sqlite', 'postgres'] as const);
if (testDatabaseUrl() === null) console.log('delivery-csv: PostgreSQL variant skipped, set TEST_DATABASE_URL to run it');

for (const dialect of dialects) {
  describe(`S3 delivery of a completed run [${dialect}]`, () => {
    let fixture: DeliveryFixture;
    let pg: TempPostgresStore | null = null;

    beforeEach(async () => {
      pg = dialect === 'postgres' ? await createTempPostgresStore() : null;
      fixture = await startDeliveryFixture({ store: pg?.store });
      await fixture.startWorker();
    });

    afterEach(async () => {
      await fixture.close();
      await pg?.cleanup();
    });

    /** Squid + S3 config + run with `batches` pushed + completion; returns the finished run and its key. */
    async function deliver(batches: object[][], options: { settings?: Record<string, unknown>; body?: Record<string, unknown> } = {}) {
      const squidId = await fixture.createSquid(options.settings);
      const configured = await fixture.configureS3(squidId, options.body ?? { s3_fields: lobstrS3Fields('exports/daily') });
      expect(configured.status).toBe(201);
      const runId = await fixture.startRun(squidId);
      for (const rows of batches) await fixture.pushRows(runId, rows);
      const completed = await fixture.completeRun(runId);
      expect(completed.status).toBe(200);
      const run = await fixture.waitForRunFinished(runId);
      const history = await fixture.server.request('GET', `/v1/runs/${runId}/deliveries`);
      const key = history.body.data[0].key as string;
      return { runId, squidId, run, key, history: history.body.data };
    }

    it('delivers one row to <target_path>/<file>.csv with content type and run metadata', async () => {
      const { run, runId, squidId, key } = await deliver([[{ name: 'a', price: 1 }]]);
      expect(run).toMatchObject({ status: 'done', done_reason: 'tasks_done', export_done: true, export_count: 1 });
      expect(run.export_time).toEqual(expect.any(String));
      expect(key).toMatch(new RegExp(`^exports/daily/squid-[a-z0-9]+_\\d{8}_\\d{4}_${runId.slice(0, 8)}\\.csv$`));
      expect((await fixture.readObject(key)).toString('utf8')).toBe('name,price\r\na,1\r\n');
      const object = await fixture.readStoredObject(key);
      expect(object.contentType).toBe('text/csv; charset=utf-8');
      expect(object.metadata).toEqual({ 'squidship-run-id': runId, 'squidship-squid-id': squidId });
    });

    it('delivers a run with zero rows as an empty object', async () => {
      const { run, key } = await deliver([]);
      expect(run).toMatchObject({ status: 'done', export_done: true });
      expect((await fixture.readObject(key)).length).toBe(0);
    });

    it('keeps late columns, unicode, quotes, commas, line breaks and nested values (flat dotted body)', async () => {
      const flatBody = Object.fromEntries(Object.entries(lobstrS3Fields('')).map(([k, v]) => [`s3_fields.${k}`, v]));
      const { key } = await deliver(
        [
          [{ name: 'Café, "Le Nid"', note: 'line1\nline2' }, { name: 'Zoë 🚀 مرحبا', tags: ['a', 'b'] }],
          [{ name: 'x', nested: { k: null }, price: 12.5, flag: true, empty: null }, { name: ' padded ' }],
        ],
        { body: flatBody },
      );
      expect(key).not.toContain('/');
      const expected =
        'name,note,tags,nested,price,flag,empty\r\n' +
        '"Café, ""Le Nid""","line1\nline2",,,,,\r\n' +
        'Zoë 🚀 مرحبا,,"[""a"",""b""]",,,,\r\n' +
        'x,,,"{""k"":null}",12.5,true,\r\n' +
        '" padded ",,,,,,\r\n';
      expect((await fixture.readObject(key)).equals(Buffer.from(expected, 'utf8'))).toBe(true);
    });

    it('honours the squid\'s export_unique_results and no_line_breaks', async () => {
      const rows = [{ a: 'x\r\ny' }, { a: 'x\r\ny' }, { a: 'p\nq', b: 1 }];
      const both = await deliver([rows], { settings: { export_unique_results: true, no_line_breaks: true } });
      expect((await fixture.readObject(both.key)).toString('utf8')).toBe('a,b\r\nx y,\r\np q,1\r\n');
      const neither = await deliver([rows]);
      expect((await fixture.readObject(neither.key)).toString('utf8')).toBe('a,b\r\n"x\r\ny",\r\n"x\r\ny",\r\n"p\nq",1\r\n');
    });

    it('delivers a run larger than one part as a complete multipart object', async () => {
      const payload = 'x'.repeat(100);
      const rowCount = 60_000; // about 7 MB of CSV: two 5 MiB parts
      const rows = Array.from({ length: rowCount }, (_, i) => ({ i, payload }));
      const { run, key, history } = await deliver([rows.slice(0, 30_000), rows.slice(30_000)]);
      expect(run.status).toBe('done');
      const expected = 'i,payload\r\n' + rows.map((row) => `${row.i},${payload}\r\n`).join('');
      const object = await fixture.readObject(key);
      expect(object.length).toBe(Buffer.byteLength(expected));
      expect(object.length).toBeGreaterThan(5 * MIB);
      expect(object.equals(Buffer.from(expected, 'utf8'))).toBe(true);
      expect(fixture.proxy.counts.UploadPart).toBeGreaterThanOrEqual(2);
      expect(history[0].attempt_history[0]).toMatchObject({ outcome: 'succeeded', rows: rowCount, bytes: object.length, key });
      expect(await fixture.openUploads()).toBe(0);
    });

    it('never writes the secret key to the logs', async () => {
      const secret = 'wJalrXUtnFEMI-squidship-never-log-this';
      const body = { s3_fields: { ...lobstrS3Fields('exports'), aws_access_key: 'AKIASQUIDSHIPTEST', aws_secret_key: secret } };
      const { run } = await deliver([[{ a: 1 }]], { body });
      expect(run.status).toBe('done');
      expect(fixture.logs.some((line) => line.msg === 'delivery.attempt.started')).toBe(true);
      expect(fixture.logs.some((line) => line.msg === 'delivery.attempt.succeeded')).toBe(true);
      expect(JSON.stringify(fixture.logs)).not.toContain(secret);
    });
  });
}
