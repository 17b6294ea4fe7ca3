// Starts Squidship as a child process with a temporary data folder, free ports for the API and
// the embedded S3 endpoint, a random bootstrap token, and warn-level logs.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChildServer } from './child-server.js';
import { findFreePort } from './free-port.js';
import { listChildPids } from './process-memory.js';
import { REPO_ROOT } from './repo-root.js';

export const EMBEDDED_BUCKET = 'my-bucket';

export interface SquidshipProcess {
  pid: number;
  baseUrl: string;
  token: string;
  /** The embedded s3rver's endpoint, e.g. http://127.0.0.1:4569. */
  s3Endpoint: string;
  dataDir: string;
  /** Graceful stop, then removes the data folder unless `keepData`. */
  stop(): Promise<void>;
}

export interface StartSquidshipOptions {
  /** postgres://... or null for the embedded SQLite. */
  databaseUrl: string | null;
  /** dist: node dist/cli/main.js (built; what users run). source: node --import tsx src/cli/main.ts. */
  entry: 'dist' | 'source';
  keepData?: boolean;
  /** Write a V8 CPU profile of the server (written when it stops) into this folder. */
  cpuProfileDir?: string | null;
  extraEnv?: Record<string, string>;
}

export async function startSquidship(options: StartSquidshipOptions): Promise<SquidshipProcess> {
  const args = [...profileArgs(options.cpuProfileDir ?? null), ...entryArgs(options.entry), 'serve'];
  const dataDir = await mkdtemp(join(tmpdir(), 'squidship-bench-'));
  const [port, s3Port] = [await findFreePort(), await findFreePort()];
  const token = `bench_${randomBytes(24).toString('hex')}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SQUIDSHIP_HOST: '127.0.0.1',
    SQUIDSHIP_PORT: String(port),
    SQUIDSHIP_DATA_DIR: dataDir,
    SQUIDSHIP_BOOTSTRAP_TOKEN: token,
    // Required with PostgreSQL (every process sharing a database needs the same key); random per run.
    SQUIDSHIP_SECRET_KEY: randomBytes(32).toString('hex'),
    SQUIDSHIP_EMBEDDED_S3: 'true',
    SQUIDSHIP_EMBEDDED_S3_PORT: String(s3Port),
    SQUIDSHIP_EMBEDDED_S3_BUCKET: EMBEDDED_BUCKET,
    SQUIDSHIP_LOG_LEVEL: 'warn',
    ...options.extraEnv,
  };
  delete env.SQUIDSHIP_S3_ENDPOINT;
  if (options.databaseUrl === null) delete env.SQUIDSHIP_DATABASE_URL;
  else env.SQUIDSHIP_DATABASE_URL = options.databaseUrl;
  const server = await startChildServer({
    label: 'squidship',
    command: process.execPath,
    args,
    env,
    cwd: REPO_ROOT,
    readyUrl: `http://127.0.0.1:${port}/readyz`,
  }).catch(async (error: unknown) => {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  });
  await waitForS3(`http://127.0.0.1:${s3Port}/${EMBEDDED_BUCKET}`).catch(async (error: unknown) => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  });
  return {
    pid: server.pid,
    baseUrl: `http://127.0.0.1:${port}`,
    token,
    s3Endpoint: `http://127.0.0.1:${s3Port}`,
    dataDir,
    async stop() {
      const children = await listChildPids(server.pid);
      await server.stop();
      // The embedded s3rver dies with its parent on a clean stop; after a forced one it may not.
      for (const pid of children) killIfAlive(pid);
      if (options.keepData !== true) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

function profileArgs(directory: string | null): string[] {
  return directory === null ? [] : ['--cpu-prof', `--cpu-prof-dir=${directory}`];
}

function entryArgs(entry: 'dist' | 'source'): string[] {
  if (entry === 'source') return ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts')];
  const built = join(REPO_ROOT, 'dist/cli/main.js');
  if (!existsSync(built)) throw new Error(`${built} is missing: run "npm run build" first (or pass --source)`);
  return [built];
}

/** The bucket answers (any HTTP status but a connection error) once the embedded S3 listens. */
async function waitForS3(bucketUrl: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const status = await fetch(bucketUrl, { method: 'HEAD' }).then((r) => r.status, () => 0);
    if (status === 200) return;
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error(`the embedded S3 bucket ${bucketUrl} did not answer 200 within 30 s`);
}

function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 'SIGTERM');
  } catch (error) {
    // ESRCH: already gone, which is the normal case.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
