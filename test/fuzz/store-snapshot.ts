// Reads every row of every table of a test store, straight from the database (not through the
// Store), so the fuzz suite can tell whether a rejected request left anything behind.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import pg from 'pg';
import type { TempStore } from '../helpers/temp-store.js';

// Written by successful requests only (a token's last use, timestamps of reads); not state a
// rejected request could have stored.
const VOLATILE_COLUMNS = new Set(['last_used_at']);

export interface StoreSnapshotter {
  take(): Promise<string>;
  close(): Promise<void>;
}

function render(tables: Record<string, Record<string, unknown>[]>): string {
  const kept = Object.fromEntries(
    Object.entries(tables).map(([table, rows]) => [
      table,
      rows.map((row) => Object.fromEntries(Object.entries(row).filter(([column]) => !VOLATILE_COLUMNS.has(column)).map(([k, v]) => [k, String(v)]))),
    ]),
  );
  return JSON.stringify(kept, null, 1);
}

// Row order is not state: both dialects may return rows in any order.
function sortRows(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  const keyed = rows.map((row) => ({ row, key: JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)) }));
  return keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((entry) => entry.row);
}

export async function openSnapshotter(temp: TempStore): Promise<StoreSnapshotter> {
  if (temp.dialect === 'sqlite') {
    const db = new Database(join(temp.dir, 'squidship.db'), { readonly: true, fileMustExist: true });
    const names = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
    return {
      async take() {
        return render(Object.fromEntries(names.map((name) => [name, sortRows(db.prepare(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[])])));
      },
      async close() {
        db.close();
      },
    };
  }
  const client = new pg.Client({ connectionString: temp.databaseUrl });
  await client.connect();
  const listed = await client.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name");
  const names = listed.rows.map((row) => row.table_name);
  return {
    async take() {
      const tables: Record<string, Record<string, unknown>[]> = {};
      for (const name of names) {
        const rows = (await client.query(`SELECT * FROM "${name}"`)).rows as Record<string, unknown>[];
        tables[name] = sortRows(rows);
      }
      return render(tables);
    },
    async close() {
      await client.end();
    },
  };
}
