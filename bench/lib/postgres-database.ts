// A fresh PostgreSQL database for one benchmark run, created from an admin URL and dropped after.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TemporaryDatabase {
  url: string;
  drop(): Promise<void>;
}

export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** SQUIDSHIP_DATABASE_URL, else TEST_DATABASE_URL, else the local default. */
export function choosePostgresUrl(env: NodeJS.ProcessEnv): string {
  return env.SQUIDSHIP_DATABASE_URL ?? env.TEST_DATABASE_URL ?? DEFAULT_POSTGRES_URL;
}

export async function createTemporaryDatabase(adminUrl: string): Promise<TemporaryDatabase> {
  const name = `squidship_bench_${randomBytes(6).toString('hex')}`;
  await runAdminStatement(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    // WITH (FORCE) (PostgreSQL >= 13) ends connections a killed server may have left open.
    drop: () => runAdminStatement(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function runAdminStatement(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
