// A prepared-statement cache in front of better-sqlite3, for Kysely's SqliteDialect. Kysely's
// driver calls `prepare(sql)` for every query it runs; our queries are a few hundred fixed texts
// (values are bound as parameters), so each text is compiled once and its Statement reused.
import type SqliteDatabase from 'better-sqlite3';

/** Distinct SQL texts kept; more than the store's queries, so the LRU only trims ad-hoc ones. */
export const DEFAULT_STATEMENT_CACHE_SIZE = 500;

/** The part of better-sqlite3's Database that Kysely's SqliteDialect uses. */
export interface CachingSqliteDatabase {
  prepare(sql: string): SqliteDatabase.Statement;
  close(): void;
}

export function createStatementCache(raw: SqliteDatabase.Database, maxStatements = DEFAULT_STATEMENT_CACHE_SIZE): CachingSqliteDatabase {
  // A Map iterates in insertion order: re-inserting on a hit makes its first key the least recently used.
  const statements = new Map<string, SqliteDatabase.Statement>();
  return {
    prepare(sql) {
      const cached = statements.get(sql);
      if (cached !== undefined) {
        // A statement being iterated (a streamed query not yet finished) cannot run again until
        // the iteration ends: such a caller gets a statement of its own, not cached.
        if (cached.busy) return raw.prepare(sql);
        statements.delete(sql);
        statements.set(sql, cached);
        return cached;
      }
      const statement = raw.prepare(sql);
      statements.set(sql, statement);
      if (statements.size > maxStatements) statements.delete(statements.keys().next().value as string);
      return statement;
    },
    close() {
      statements.clear();
      raw.close();
    },
  };
}
