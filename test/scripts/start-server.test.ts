// npm start compiles only when dist/ is missing or older than a source file or tsconfig, and
// builds the dashboard only when dist/web is missing or older than a file of web/.
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findStaleBuildReason, findStaleWebReason } from '../../scripts/start-server.mjs';

let root: string;

async function writeAt(path: string, atSeconds: number): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, '');
  await utimes(path, atSeconds, atSeconds);
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'squidship-start-'));
  await writeAt(join(root, 'tsconfig.json'), 1000);
  await writeAt(join(root, 'tsconfig.build.json'), 1000);
  await writeAt(join(root, 'src', 'cli', 'main.ts'), 1000);
  await writeAt(join(root, 'src', 'api', 'routes', 'me.ts'), 1000);
  await writeAt(join(root, 'web', 'pages', 'run-page.tsx'), 1000);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('npm start: findStaleBuildReason', () => {
  it('builds when dist/ is missing', () => {
    expect(findStaleBuildReason(root)).toBe('dist/ is missing');
  });

  it('does not build when dist/ is newer than every source', async () => {
    await writeAt(join(root, 'dist', 'cli', 'main.js'), 2000);
    expect(findStaleBuildReason(root)).toBeNull();
  });

  it('builds when a nested source file changed after the build', async () => {
    await writeAt(join(root, 'dist', 'cli', 'main.js'), 2000);
    await utimes(join(root, 'src', 'api', 'routes', 'me.ts'), 3000, 3000);
    expect(findStaleBuildReason(root)).toBe(join('src', 'api', 'routes', 'me.ts') + ' is newer than dist/');
  });

  it('builds when a tsconfig changed after the build', async () => {
    await writeAt(join(root, 'dist', 'cli', 'main.js'), 2000);
    await utimes(join(root, 'tsconfig.build.json'), 3000, 3000);
    expect(findStaleBuildReason(root)).toBe('tsconfig.build.json is newer than dist/');
  });
});

describe('npm start: findStaleWebReason', () => {
  it('builds when dist/web is missing', () => {
    expect(findStaleWebReason(root)).toBe('dist/web is missing');
  });

  it('does not build when dist/web is newer than every file of web/', async () => {
    await writeAt(join(root, 'dist', 'web', 'index.html'), 2000);
    expect(findStaleWebReason(root)).toBeNull();
  });

  it('builds when a nested file of web/ changed after the build', async () => {
    await writeAt(join(root, 'dist', 'web', 'index.html'), 2000);
    await utimes(join(root, 'web', 'pages', 'run-page.tsx'), 3000, 3000);
    expect(findStaleWebReason(root)).toBe(join('web', 'pages', 'run-page.tsx') + ' is newer than dist/web');
  });
});
