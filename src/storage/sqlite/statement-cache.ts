// A prepared-statement cache in front of better-sqlite3, for Kysely's SqliteDialect. Kysely's
// driver calls `prepare(sql)` for every query it runs; compiling SQL is about a fifth of the CPU
// of a simple API request, and our queries are a few hundred fixed texts (values are bound as
// parameters), so each text is compiled once and its Statement reused.
//
// A text marked KEPT_WHILE_UNCHANGED (the squid view's read, the API's busiest) also has its
// answers kept, and given again while the database is unchanged: see keepAnswers.
import type SqliteDatabase from 'better-sqlite3';
import { KEPT_WHILE_UNCHANGED, ROWS_AS_ARRAYS } from '../kysely/dialect-ops.js';
import { createDatabaseVersionReader, type DatabaseVersion, type DatabaseVersionReader } from './database-version.js';

/** Distinct SQL texts kept; more than the store's queries, so the LRU only trims ad-hoc ones. */
export const DEFAULT_STATEMENT_CACHE_SIZE = 500;

/**
 * Parameter lists remembered per marked text (the squids read lately, for the squid view): more
 * than a busy dashboard polls, under 1 MiB of rows (a squid view's are under 1 KiB).
 */
export const DEFAULT_KEPT_ANSWERS = 1000;

/** The part of better-sqlite3's Database that Kysely's SqliteDialect uses. */
export interface CachingSqliteDatabase {
  prepare(sql: string): SqliteDatabase.Statement;
  /** Where kept answers learn that the database changed (see database-version.ts). */
  versionSource(): ReturnType<DatabaseVersionReader['source']>;
  close(): void;
}

export function createStatementCache(
  raw: SqliteDatabase.Database,
  maxStatements = DEFAULT_STATEMENT_CACHE_SIZE,
  maxKeptAnswers = DEFAULT_KEPT_ANSWERS,
): CachingSqliteDatabase {
  // A Map iterates in insertion order: re-inserting on a hit makes its first key the least recently used.
  const statements = new Map<string, SqliteDatabase.Statement>();
  const version = createDatabaseVersionReader(raw);
  const readVersion = (): DatabaseVersion | null => version.read();
  const compile = (sql: string): SqliteDatabase.Statement => {
    const statement = raw.prepare(sql);
    if (sql.startsWith(ROWS_AS_ARRAYS)) statement.raw(true);
    return sql.includes(KEPT_WHILE_UNCHANGED) ? keepAnswers(statement, readVersion, maxKeptAnswers) : statement;
  };
  // The text last made the most recent: asked again (a busy route's one query), it already is.
  let mostRecent: string | null = null;
  return {
    prepare(sql) {
      const cached = statements.get(sql);
      if (cached !== undefined) {
        // A statement being iterated (a streamed query not yet finished) cannot run again until
        // the iteration ends: such a caller gets a statement of its own, not cached.
        if (cached.busy) return compile(sql);
        if (sql !== mostRecent) {
          statements.delete(sql);
          statements.set(sql, cached);
          mostRecent = sql;
        }
        return cached;
      }
      const statement = compile(sql);
      statements.set(sql, statement);
      mostRecent = sql;
      if (statements.size > maxStatements) {
        const oldest = statements.keys().next().value as string;
        statements.delete(oldest);
      }
      return statement;
    },
    versionSource: () => version.source(),
    close() {
      statements.clear();
      version.close();
      raw.close();
    },
  };
}

interface KeptAnswer {
  version: DatabaseVersion;
  rows: readonly unknown[];
}

/**
 * `statement.all` keeps its answer per parameter list, with the database's version read just
 * before the statement ran, and gives it again (the same frozen rows) while the version is the
 * same. A commit elsewhere between the version read and the statement makes the answer newer
 * than its version: the next read then finds the version moved and reads again, never older.
 *
 * An answer is kept from the second read of its parameters on: reads of many different
 * parameters, each once (a client walking thousands of squids), then cost no version read and
 * keep no rows, which would outlive the young generation and make for costly full collections.
 */
function keepAnswers(statement: SqliteDatabase.Statement, readVersion: () => DatabaseVersion | null, maxKept: number): SqliteDatabase.Statement {
  // Only `all` (what Kysely reads rows with) is replaced, on this instance: the statement stays
  // better-sqlite3's for everything else (iterate, run, busy).
  const read = statement.all.bind(statement);
  // null: read once lately, not kept. Re-inserted at each database read: the first key is the oldest.
  const kept = new Map<string, KeptAnswer | null>();
  const remember = (key: string, answer: KeptAnswer | null): void => {
    kept.delete(key);
    kept.set(key, answer);
    if (kept.size > maxKept) kept.delete(kept.keys().next().value as string);
  };
  statement.all = (...parameters: unknown[]): unknown[] => {
    const key = answerKey(parameters);
    const answer = kept.get(key);
    const version = answer === undefined ? null : readVersion();
    if (version === null) {
      // A first read, or one inside a transaction (nothing is kept from there).
      if (answer === undefined) remember(key, null);
      return read(...parameters);
    }
    if (answer?.version === version) return answer.rows as unknown[];
    const rows = Object.freeze(read(...parameters).map((row) => Object.freeze(row)));
    remember(key, { version, rows });
    return rows as unknown[];
  };
  return statement;
}

/**
 * The kept answers' key for a parameter list (given as arguments or as one array, which bind
 * alike): string parameters without NUL joined by NUL, the common case (ids), a third of
 * JSON.stringify's time; anything else as JSON, marked so that the two forms never meet.
 */
function answerKey(parameters: unknown[]): string {
  const list = parameters.length === 1 && Array.isArray(parameters[0]) ? (parameters[0] as unknown[]) : parameters;
  for (const value of list) {
    if (typeof value !== 'string' || value.includes('\0')) return `\0json${JSON.stringify(list)}`;
  }
  return list.join('\0');
}
