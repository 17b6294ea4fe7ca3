// One Squidship under test with its API client: SQLite in a temp folder, or a fresh PostgreSQL
// database created for the run and dropped after it.
import { resolve } from 'node:path';
import { warnIfMachineBusy } from './results-file.js';
import { choosePostgresUrl, createTemporaryDatabase, type TemporaryDatabase } from './postgres-database.js';
import { createSquidshipClient, type SquidshipClient } from './squidship-client.js';
import { startSquidship, type SquidshipProcess } from './squidship-process.js';

export type DatabaseKind = 'sqlite' | 'postgres';

export interface BenchServerOptions {
  db: DatabaseKind;
  entry: 'dist' | 'source';
  keepData: boolean;
  /** --cpu-prof DIR: the server writes a V8 CPU profile there when it stops. */
  cpuProfileDir: string | null;
}

export interface BenchServer {
  squidship: SquidshipProcess;
  client: SquidshipClient;
  /** The database as reported (the PostgreSQL URL without credentials). */
  databaseLabel: string;
  /** The PostgreSQL database's URL; null on SQLite. */
  databaseUrl: string | null;
  stop(): Promise<void>;
}

/** The options every benchmark shares: --db sqlite|postgres, --source, --keep. */
export const SHARED_ARGS = {
  db: { type: 'string', default: 'sqlite' },
  source: { type: 'boolean', default: false },
  keep: { type: 'boolean', default: false },
  'cpu-prof': { type: 'string' },
  help: { type: 'boolean', default: false },
} as const;

export function readSharedOptions(values: { db?: string; source?: boolean; keep?: boolean; 'cpu-prof'?: string }): BenchServerOptions {
  if (values.db !== 'sqlite' && values.db !== 'postgres') throw new Error(`--db ${String(values.db)}: use sqlite or postgres`);
  const cpuProfileDir = values['cpu-prof'] === undefined ? null : resolve(values['cpu-prof']);
  return { db: values.db, entry: values.source === true ? 'source' : 'dist', keepData: values.keep === true, cpuProfileDir };
}

export const SHARED_USAGE = [
  '  --db sqlite|postgres  the database (postgres: SQUIDSHIP_DATABASE_URL, TEST_DATABASE_URL or',
  '                        postgres://postgres@127.0.0.1:5432/test; a fresh database is created and dropped)',
  '  --source              run src/ through tsx instead of the built dist/ (npm run build)',
  '  --keep                keep the server\'s temporary data folder (and its PostgreSQL database)',
  '  --cpu-prof DIR        the server writes a V8 CPU profile into DIR when it stops (see bench/profile-summary.ts)',
].join('\n');

export async function startBenchServer(options: BenchServerOptions): Promise<BenchServer> {
  let database: TemporaryDatabase | null = null;
  if (options.db === 'postgres') database = await createTemporaryDatabase(choosePostgresUrl(process.env));
  try {
    const squidship = await startSquidship({ databaseUrl: database?.url ?? null, entry: options.entry, keepData: options.keepData, cpuProfileDir: options.cpuProfileDir });
    return {
      squidship,
      client: createSquidshipClient(squidship.baseUrl, squidship.token),
      databaseLabel: database === null ? 'sqlite' : `postgres ${redactUrl(database.url)}`,
      databaseUrl: database?.url ?? null,
      async stop() {
        await squidship.stop();
        if (!options.keepData) await database?.drop();
        else process.stdout.write(`kept: ${squidship.dataDir}${database === null ? '' : ` and ${redactUrl(database.url)}`}\n`);
      },
    };
  } catch (error) {
    await database?.drop();
    throw error;
  }
}

function redactUrl(url: string): string {
  const parsed = new URL(url);
  parsed.password = '';
  return parsed.toString();
}

/** Runs a benchmark's main, printing a failure as one clear line and exiting non-zero. */
export function runBenchmark(main: () => Promise<void>): void {
  warnIfMachineBusy();
  main().catch((error: unknown) => {
    process.stderr.write(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
