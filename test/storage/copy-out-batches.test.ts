// The PostgreSQL export's COPY reader against a real server: exact bytes, notices and errors in
// the middle of the COPY, a slow consumer, an early stop, and a statement that is not a COPY.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyOutBatches } from '../../src/storage/postgres/copy-out-batches.js';
import { createTempPostgresDatabase, testDatabaseUrl } from '../helpers/temp-store.js';

const ROWS = 5000;
const rowsSelect = (column = 'data') => `select ${column} from texts order by i`;
const copyOf = (select: string) => `copy (${select}) to stdout with (format binary)`;

async function collect(client: pg.Client, statement: string, batchSize: number) {
  const batches: Array<{ rowCount: number; text: string }> = [];
  for await (const batch of copyOutBatches(client, statement, batchSize)) {
    batches.push({ rowCount: batch.rowCount, text: batch.texts.toString('utf8') });
    batch.release?.();
  }
  return batches;
}

if (testDatabaseUrl() === null) console.log('skipping "copyOutBatches [postgres]": set TEST_DATABASE_URL=postgres://user@host:5432/db to run it');

describe.skipIf(testDatabaseUrl() === null)('copyOutBatches [postgres]', () => {
  let database: { databaseUrl: string; drop(): Promise<void> };
  let expected: string;

  const withClient = async (use: (client: pg.Client) => Promise<void>) => {
    const client = new pg.Client({ connectionString: database.databaseUrl });
    await client.connect();
    try {
      await use(client);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    database = (await createTempPostgresDatabase())!;
    await withClient(async (client) => {
      await client.query('create table texts (i int primary key, data text not null)');
      // Unicode, quotes, backslashes, commas, an empty text and one far larger than a socket read.
      await client.query(String.raw`insert into texts
        select i, case
          when i = 7 then ''
          when i = 4000 then '{"big":"' || repeat('ab\\"ü', 60000) || '"}'
          else '{"i":' || i || ',"s":"é\"q\\u0001, ' || repeat('x', i % 300) || '"}'
        end
        from generate_series(1, ${ROWS}) as i`);
      await client.query(`create function noisy(t text, i int) returns text language plpgsql as $$
        begin
          if i % 1000 = 0 then raise notice 'row %', i; end if;
          return t;
        end $$`);
      const all = await client.query<{ all: string }>(`select string_agg(data || E'\\n', '' order by i) as all from texts`);
      expected = all.rows[0]!.all;
    });
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('gives every row\'s exact bytes, each followed by LF, in batches of batchSize', async () => {
    await withClient(async (client) => {
      const batches = await collect(client, copyOf(rowsSelect()), 64);
      expect(batches.map((batch) => batch.rowCount)).toEqual([...Array<number>(78).fill(64), ROWS - 78 * 64]);
      expect(batches.map((batch) => batch.text).join('')).toBe(expected);
      // The connection is pg's again, ready for the next query.
      expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    });
  });

  it('reads on through notices sent in the middle of the COPY', async () => {
    await withClient(async (client) => {
      const batches = await collect(client, copyOf(rowsSelect('noisy(data, i)')), 100);
      expect(batches.map((batch) => batch.text).join('')).toBe(expected);
      expect(batches.reduce((sum, batch) => sum + batch.rowCount, 0)).toBe(ROWS);
      expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    });
  });

  it('fails with PostgreSQL\'s error when the COPY fails half-way, and the connection stays usable', async () => {
    await withClient(async (client) => {
      const given: number[] = [];
      const reading = (async () => {
        for await (const batch of copyOutBatches(client, copyOf(rowsSelect(`case when i = 3000 then (1 / (i - 3000))::text else data end`)), 100)) given.push(batch.rowCount);
      })();
      await expect(reading).rejects.toThrow('division by zero');
      expect(given.reduce((sum, count) => sum + count, 0)).toBeLessThan(3000);
      expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    });
  });

  it('gives every row to a consumer slower than the server, reading ahead only a few batches', async () => {
    await withClient(async (client) => {
      const texts: string[] = [];
      const buffers = new Set<ArrayBufferLike>();
      for await (const batch of copyOutBatches(client, copyOf(rowsSelect()), 200)) {
        texts.push(batch.texts.toString('utf8'));
        buffers.add(batch.texts.buffer);
        batch.release?.();
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(texts.join('')).toBe(expected);
      // Released buffers come back for later batches unless the reader ran ahead of the consumer.
      expect(texts.length).toBe(25);
      // The reader decodes a batch only when asked for one, whatever the network delivered at
      // once: the batch the consumer just released and the one being filled, on every Node.
      expect(buffers.size).toBeLessThanOrEqual(2);
    });
  });

  it('lets a consumer stop early: the client then ends without waiting for the rest', async () => {
    const client = new pg.Client({ connectionString: database.databaseUrl });
    await client.connect();
    let first = '';
    for await (const batch of copyOutBatches(client, copyOf(rowsSelect()), 10)) {
      first = batch.texts.toString('utf8');
      break;
    }
    expect(first).toBe(expected.split('\n').slice(0, 10).join('\n') + '\n');
    await client.end();
  });

  it('refuses a statement that is not a COPY TO STDOUT, and the connection stays usable', async () => {
    await withClient(async (client) => {
      await expect(collect(client, 'select data from texts', 10)).rejects.toThrow('not a COPY (...) TO STDOUT');
      await expect(collect(client, `copy texts from stdin`, 10)).rejects.toThrow('not a COPY (...) TO STDOUT');
      expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    });
  });
});
