// The prepared-statement cache behind the SQLite store: one Statement per SQL text, a fresh one
// while the cached one is being iterated, a bounded number kept.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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

  it('closes the database', () => {
    createStatementCache(raw).close();
    expect(raw.open).toBe(false);
  });
});
