// The prepared-statement cache behind the SQLite store: one Statement per SQL text, a fresh one
// while the cached one is being iterated, a bounded number kept.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEPT_WHILE_UNCHANGED, ROWS_AS_ARRAYS } from '../../src/storage/kysely/dialect-ops.js';
import { createStatementCache } from '../../src/storage/sqlite/statement-cache.js';

describe('SQLite statement cache', () => {
  let dir = '';
  let raw: Sqlite.Database;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'squidship-stmt-'));
    raw = new Sqlite(join(dir, 'cache.db'));
    raw.exec('create table t (n integer)');
    raw.exec('insert into t values (1), (2), (3)');
  });
  afterEach(async () => {
    if (raw.open) raw.close();
    await rm(dir, { recursive: true, force: true });
  });
  /** Runs `use` on a second connection to the same file, closed after. */
  function onOtherConnection(use: (other: Sqlite.Database) => void): void {
    const other = new Sqlite(join(dir, 'cache.db'));
    try {
      use(other);
    } finally {
      other.close();
    }
  }

  it('prepares each SQL text once and answers with the same statement', () => {
    const cache = createStatementCache(raw);
    const first = cache.prepare('select n from t where n > ?');
    expect(cache.prepare('select n from t where n > ?')).toBe(first);
    expect(cache.prepare('select n from t where n > ?').all([1])).toEqual([{ n: 2 }, { n: 3 }]);
    expect(cache.prepare('select n from t where n < ?')).not.toBe(first);
  });

  it('hands out a fresh statement while the cached one is being iterated', () => {
    const cache = createStatementCache(raw);
    const sql = 'select n from t order by n';
    const outer = cache.prepare(sql);
    const seen: unknown[] = [];
    for (const row of outer.iterate() as IterableIterator<{ n: number }>) {
      const inner = cache.prepare(sql);
      expect(inner).not.toBe(outer);
      seen.push([row.n, inner.all().length]);
    }
    expect(seen).toEqual([[1, 3], [2, 3], [3, 3]]);
    expect(cache.prepare(sql)).toBe(outer);
  });

  it('keeps at most the given number of statements, dropping the least recently used', () => {
    const cache = createStatementCache(raw, 2);
    const a = cache.prepare('select 1');
    const b = cache.prepare('select 2');
    expect(cache.prepare('select 1')).toBe(a);
    cache.prepare('select 3');
    expect(cache.prepare('select 1')).toBe(a);
    expect(cache.prepare('select 2')).not.toBe(b);
  });

  it('answers rows as arrays for a text marked ROWS_AS_ARRAYS, cached or fresh, and objects otherwise', () => {
    const cache = createStatementCache(raw);
    const marked = `${ROWS_AS_ARRAYS}select n, n * 10 as tens from t where n > ? order by n`;
    expect(cache.prepare(marked).all([1])).toEqual([[2, 20], [3, 30]]);
    expect(cache.prepare(marked).all([2])).toEqual([[3, 30]]);
    const outer = cache.prepare(marked);
    for (const _row of outer.iterate([0])) expect(cache.prepare(marked).all([2])).toEqual([[3, 30]]);
    expect(cache.prepare('select n, n * 10 as tens from t where n > ? order by n').all([2])).toEqual([{ n: 3, tens: 30 }]);
  });

  it('closes the database', () => {
    createStatementCache(raw).close();
    expect(raw.open).toBe(false);
  });
  // Rollback journal (SQLite's default): the version is data_version and total_changes(). WAL
  // (the store's mode): the wal-index header in the -shm file.
  for (const [journalMode, source] of [['delete', 'data_version'], ['wal', 'wal-index']] as const) {
    describe(`answers kept while the database is unchanged (journal_mode ${journalMode})`, () => {
      const SQL = `${KEPT_WHILE_UNCHANGED}select n from t where n >= ? order by n`;
      beforeEach(() => {
        raw.pragma(`journal_mode = ${journalMode}`);
      });

      it(`learns of changes from ${source}`, () => {
        const cache = createStatementCache(raw);
        expect(cache.versionSource()).toBe('unknown');
        cache.prepare(SQL).all(2);
        cache.prepare(SQL).all(2);
        expect(cache.versionSource()).toBe(source);
      });

      it('keeps an answer from the second read of the same parameters, and gives the same frozen rows', () => {
        const statement = createStatementCache(raw).prepare(SQL);
        const first = statement.all(2);
        expect(Object.isFrozen(first)).toBe(false);
        const second = statement.all(2);
        expect(second).toEqual([{ n: 2 }, { n: 3 }]);
        expect(Object.isFrozen(second)).toBe(true);
        expect(statement.all(2)).toBe(second);
        expect(statement.all(3)).not.toBe(second);
      });

      it('reads again after this connection changes a row', () => {
        const statement = createStatementCache(raw).prepare(SQL);
        statement.all(2);
        const kept = statement.all(2);
        raw.exec('insert into t values (4)');
        expect(statement.all(2)).toEqual([{ n: 2 }, { n: 3 }, { n: 4 }]);
        expect(statement.all(2)).not.toBe(kept);
      });

      it('reads again after another connection commits', () => {
        const statement = createStatementCache(raw).prepare(SQL);
        statement.all(2);
        statement.all(2);
        onOtherConnection((other) => other.exec('delete from t where n = 3'));
        expect(statement.all(2)).toEqual([{ n: 2 }]);
      });

      it('keeps nothing inside a transaction, whose changes may be rolled back', () => {
        const statement = createStatementCache(raw).prepare(SQL);
        statement.all(2);
        raw.exec('begin');
        raw.exec('insert into t values (5)');
        const inside = statement.all(2);
        expect(inside).toEqual([{ n: 2 }, { n: 3 }, { n: 5 }]);
        expect(statement.all(2)).not.toBe(inside);
        raw.exec('rollback');
        expect(statement.all(2)).toEqual([{ n: 2 }, { n: 3 }]);
      });

      it('keeps answers apart for parameter lists that differ only where NUL characters fall', () => {
        raw.exec("create table pairs (a text, b text)");
        raw.prepare('insert into pairs values (?, ?)').run('a\0b', 'c');
        const statement = createStatementCache(raw).prepare(`${KEPT_WHILE_UNCHANGED}select count(*) as c from pairs where a = ? and b = ?`);
        for (let i = 0; i < 3; i += 1) {
          expect(statement.all('a\0b', 'c')).toEqual([{ c: 1 }]);
          expect(statement.all(['a', 'b\0c'])).toEqual([{ c: 0 }]);
          expect(statement.all('a', 'b')).toEqual([{ c: 0 }]);
          expect(statement.all(['a\0b', 'c'])).toEqual([{ c: 1 }]);
        }
      });

      it('reads again after another process commits', () => {
        const statement = createStatementCache(raw).prepare(SQL);
        statement.all(2);
        const kept = statement.all(2);
        expect(statement.all(2)).toBe(kept);
        const script = `const D = require('better-sqlite3'); const db = new D(process.argv[1]); db.exec('insert into t values (6)'); db.close();`;
        execFileSync(process.execPath, ['-e', script, join(dir, 'cache.db')], { cwd: process.cwd() });
        expect(statement.all(2)).toEqual([{ n: 2 }, { n: 3 }, { n: 6 }]);
      });

      it('reads again after a checkpoint and a commit that starts the log over', () => {
        const statement = createStatementCache(raw).prepare(SQL);
        statement.all(2);
        statement.all(2);
        onOtherConnection((other) => {
          other.pragma('wal_checkpoint(TRUNCATE)');
          expect(statement.all(2)).toEqual([{ n: 2 }, { n: 3 }]);
          other.exec('update t set n = 7 where n = 3');
        });
        expect(statement.all(2)).toEqual([{ n: 2 }, { n: 7 }]);
      });

      it('reads again after each of many commits by another connection, never an older answer', () => {
        const statement = createStatementCache(raw).prepare(`${KEPT_WHILE_UNCHANGED}select count(*) as c from t where n >= ?`);
        onOtherConnection((other) => {
          for (let i = 0; i < 50; i += 1) {
            other.exec('insert into t values (100)');
            expect(statement.all(0)).toEqual([{ c: 4 + i }]);
            expect(statement.all(0)).toEqual([{ c: 4 + i }]);
          }
        });
      });
    });
  }
});
