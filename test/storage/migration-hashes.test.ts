// Migrations are append-only: once released, a migration's text never changes (a database that
// applied it would never see the edit). src/storage/migrations/applied.sha256 pins each one.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { migrationProvider } from '../../src/storage/migrations/index.js';

const MIGRATIONS_DIR = new URL('../../src/storage/migrations/', import.meta.url);

async function readPinnedHashes(): Promise<Map<string, string>> {
  const text = await readFile(new URL('applied.sha256', MIGRATIONS_DIR), 'utf8');
  const pinned = new Map<string, string>();
  for (const line of text.split('\n').filter((l) => l.trim() !== '')) {
    const match = /^([0-9a-f]{64}) {2}(\S+)\.ts$/.exec(line);
    if (match === null) throw new Error(`applied.sha256: not a "sha256sum" line: ${line}`);
    pinned.set(match[2] as string, match[1] as string);
  }
  return pinned;
}

async function hashMigrationSource(name: string): Promise<string> {
  return createHash('sha256').update(await readFile(new URL(`${name}.ts`, MIGRATIONS_DIR))).digest('hex');
}

describe('migrations are append-only', () => {
  it('pins every migration the provider applies, and nothing else', async () => {
    const names = Object.keys(await migrationProvider.getMigrations());
    const pinned = await readPinnedHashes();
    expect(names.length).toBeGreaterThan(0);
    expect([...pinned.keys()].sort()).toEqual([...names].sort());
  });

  it('finds each migration\'s source unchanged since it was pinned', async () => {
    for (const [name, hash] of await readPinnedHashes()) {
      expect({ name, hash: await hashMigrationSource(name) }).toEqual({ name, hash });
    }
  });
});
