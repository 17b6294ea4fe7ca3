// `npm run lint:openapi`: lints the OpenAPI document the server serves with Redocly's CLI
// (recommended rules). It starts the API role on a free loopback port with a temporary data
// folder and no embedded S3, saves GET /openapi.json, and runs `npx @redocly/cli lint` on it
// (fetched from the npm registry on first use: it is no dependency of Squidship's).
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { Writable } from 'node:stream';
import { startSquidship } from '../src/main.js';

/** Pinned, so that a new release's rules do not fail a build that passed yesterday. */
const REDOCLY_CLI = '@redocly/cli@2.77.0';

async function saveServedDocument(dataDir: string): Promise<string> {
  const env = { SQUIDSHIP_DATA_DIR: dataDir, SQUIDSHIP_PORT: '0', SQUIDSHIP_EMBEDDED_S3: 'false', SQUIDSHIP_LOG_LEVEL: 'warn' };
  // The first-start banner (a token for this throwaway database) is of no use here.
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
  const server = await startSquidship({ env, cwd: dataDir, role: 'api', out: discard });
  try {
    const response = await fetch(`${server.url}/openapi.json`);
    if (!response.ok) throw new Error(`GET /openapi.json answered ${response.status}`);
    const path = join(dataDir, 'openapi.json');
    await writeFile(path, JSON.stringify(await response.json(), null, 2));
    return path;
  } finally {
    await server.stop();
  }
}

const dataDir = await mkdtemp(join(tmpdir(), 'squidship-openapi-'));
try {
  const documentPath = await saveServedDocument(dataDir);
  const lint = spawnSync('npx', ['--yes', REDOCLY_CLI, 'lint', '--format=stylish', documentPath], { stdio: 'inherit' });
  process.exitCode = lint.status ?? 1;
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
