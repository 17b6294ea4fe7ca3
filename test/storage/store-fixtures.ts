// Small builders shared by the storage tests: an account with a squid, rows, S3 configs.
import Sqlite from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { expect } from 'vitest';
import { AppError } from '../../src/domain/app-error.js';
import type { S3DestinationConfig } from '../../src/channels/s3/s3-config.js';
import type { Account, NewResultRow, Run, Squid } from '../../src/domain/types.js';
import type { Store } from '../../src/storage/store.js';
import type { TempStore } from '../helpers/temp-store.js';

export const CRAWLER_ID = 'c0ffee00c0ffee00c0ffee00c0ffee00';
export const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
export const ACCESS_KEY = 'AKIAIOSFODNN7EXAMPLE';

export async function createAccountWithSquid(store: Store, name = 'acme', nowMs = 1000): Promise<{ account: Account; squid: Squid }> {
  const account = await store.createAccount({ name, email: `${name}@example.com`, nowMs });
  const squid = await store.createSquid({ accountId: account.id, crawlerId: CRAWLER_ID, name: `${name} squid`, nowMs });
  return { account, squid };
}

export function toRows(objects: object[], scrapingTimeMs = 5000): NewResultRow[] {
  return objects.map((object) => {
    const data = JSON.stringify(object);
    return { data, rowHash: createHash('sha256').update(data).digest('hex'), scrapingTimeMs };
  });
}

/** One ingest: open, append in batches of `batchSize`, commit with the rows' keys. */
export async function pushRows(store: Store, runId: string, objects: object[], batchSize = 1000): Promise<Run> {
  const ingestId = await store.openIngest(runId, 2000);
  const rows = toRows(objects);
  for (let start = 0; start < rows.length; start += batchSize) {
    await store.appendIngestRows(ingestId, rows.slice(start, start + batchSize));
  }
  return store.commitIngest(ingestId, columnsOf(objects));
}

export function columnsOf(objects: object[]): string[] {
  return [...new Set(objects.flatMap((object) => Object.keys(object)))];
}

/** Every committed row of the run as stored JSON texts, one array per batch, through streamRunResultTexts. */
export async function readRunTextBatches(store: Store, runId: string, unique = false, batchSize = 1000): Promise<string[][]> {
  const batches: string[][] = [];
  for await (const batch of store.streamRunResultTexts(runId, { unique, batchSize })) {
    const text = batch.texts.toString('utf8');
    expect(text.endsWith('\n'), text).toBe(true);
    const rows = text.slice(0, -1).split('\n');
    expect(rows).toHaveLength(batch.rowCount);
    batches.push(rows);
  }
  return batches;
}

/** Every committed row of the run as parsed objects, through streamRunResultTexts. */
export async function readRun(store: Store, runId: string, unique = false, batchSize = 1000): Promise<unknown[]> {
  const batches = await readRunTextBatches(store, runId, unique, batchSize);
  return batches.flat().map((text) => JSON.parse(text) as unknown);
}

export function s3Config(overrides: Partial<S3DestinationConfig> = {}): S3DestinationConfig {
  return {
    bucket: 'my-bucket',
    targetPath: 'exports',
    accessKeyId: ACCESS_KEY,
    secretAccessKey: SECRET_KEY,
    region: 'eu-west-1',
    endpoint: null,
    forcePathStyle: null,
    ...overrides,
  };
}

/** Asserts that `promise` rejects with an AppError of that code and status. */
export async function expectAppError(promise: Promise<unknown>, code: string, status: number): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(AppError);
  expect(error).toMatchObject({ code, status });
  return error as AppError;
}

/** Every row of the tables, read around the store (to see what is really on disk). */
export async function readRawTables(temp: TempStore, tables: string[]): Promise<unknown[]> {
  if (temp.dialect === 'sqlite') {
    const db = new Sqlite(join(temp.dir, 'squidship.db'), { readonly: true });
    try {
      return tables.flatMap((table) => db.prepare(`SELECT * FROM ${table}`).all());
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: temp.databaseUrl });
  await client.connect();
  try {
    const rows: unknown[] = [];
    for (const table of tables) rows.push(...(await client.query(`SELECT * FROM ${table}`)).rows);
    return rows;
  } finally {
    await client.end();
  }
}

/** Runs the purge of deleted squids to its end (what the purger does in the background); returns the steps taken. */
export async function purgeDeletedSquids(store: Store, maxRows = 1000): Promise<number> {
  let steps = 0;
  while ((await store.purgeDeletedSquid(maxRows)) !== null) steps += 1;
  return steps;
}
