// A results push held open mid-way, and a read of what pushes left in the database: what the
// kill-during-push tests need. The push is one chunked NDJSON request whose body the test writes
// as it goes, so the server has appended (uncommitted) rows while the request is still running.
import { request, type ClientRequest } from 'node:http';
import Sqlite from 'better-sqlite3';
import pg from 'pg';

export interface OpenPush {
  write(rows: readonly object[]): Promise<void>;
  /** Ends the body; resolves with the answer's status and JSON. */
  end(): Promise<{ status: number; body: Record<string, unknown> }>;
  /** The connection, for a test that only needs it gone. */
  readonly request: ClientRequest;
}

export function openPush(url: string, token: string, runId: string): OpenPush {
  const req = request(`${url}/v1/runs/${runId}/results`, {
    method: 'POST',
    headers: { authorization: `Token ${token}`, 'content-type': 'application/x-ndjson', 'transfer-encoding': 'chunked' },
  });
  const answered = new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    req.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') }));
      response.on('error', reject);
    });
    req.on('error', reject);
  });
  // A push whose server is killed fails; only the test that ends it reads the answer.
  answered.catch(() => undefined);
  return {
    request: req,
    write: (rows) =>
      new Promise<void>((resolve, reject) => {
        req.write(rows.map((row) => JSON.stringify(row)).join('\n') + '\n', (error) => (error ? reject(error) : resolve()));
      }),
    end: () => {
      req.end();
      return answered;
    },
  };
}

/** Where a Squidship process keeps its database. */
export type DatabaseRef = { sqliteFile: string } | { databaseUrl: string };

/** Rows stored by pushes that never committed, and the ingests that are not committed. */
export interface Orphans {
  rows: number;
  ingests: number;
}

// `$1` is the run's id (both drivers take it positionally).
const ORPHAN_ROWS =
  "select count(*) as n from results where run_seq = (select seq from runs where id = $1) and ingest_seq not in (select seq from ingests where status = 'committed')";
const OPEN_INGESTS = "select count(*) as n from ingests where run_id = $1 and status <> 'committed'";

/** The run's uncommitted rows and ingests, read around the server as an operator would. */
export async function countOrphans(database: DatabaseRef, runId: string): Promise<Orphans> {
  if ('sqliteFile' in database) {
    const db = new Sqlite(database.sqliteFile, { readonly: true });
    try {
      const count = (text: string) => Number((db.prepare(text.replace('$1', '?')).get(runId) as { n: number | bigint }).n);
      return { rows: count(ORPHAN_ROWS), ingests: count(OPEN_INGESTS) };
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: database.databaseUrl });
  await client.connect();
  try {
    const count = async (text: string) => Number((await client.query<{ n: string }>(text, [runId])).rows[0]!.n);
    return { rows: await count(ORPHAN_ROWS), ingests: await count(OPEN_INGESTS) };
  } finally {
    await client.end();
  }
}
