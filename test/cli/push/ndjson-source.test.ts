// readNdjsonChunks reports every byte it reads from the file, whatever the format: the push's
// progress bar divides that by the file's size.
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNdjsonChunks, type ResultsFileFormat } from '../../../src/cli/push/ndjson-source.js';

describe('readNdjsonChunks: bytes read', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'squidship-source-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const files: Array<[string, ResultsFileFormat, string]> = [
    ['rows.ndjson', 'ndjson', '{"n":1}\n{"n":2}\n'.repeat(50_000)],
    ['rows.json', 'json', JSON.stringify(Array.from({ length: 50_000 }, (_, n) => ({ n })))],
    ['rows.csv', 'csv', 'n,name\n' + Array.from({ length: 50_000 }, (_, n) => `${n},row ${n}\n`).join('')],
  ];
  for (const [name, format, text] of files) {
    it(`counts the whole ${format} file`, async () => {
      const path = join(dir, name);
      await writeFile(path, text);
      let readBytes = 0;
      let lines = 0;
      for await (const chunk of readNdjsonChunks(path, format, (bytes) => (readBytes += bytes))) lines += chunk.toString().split('\n').length - 1;
      expect(readBytes).toBe((await stat(path)).size);
      expect(lines).toBe(format === 'ndjson' ? 100_000 : 50_000);
    });
  }
});
