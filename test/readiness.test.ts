// /readyz of an `all` process covers the embedded S3 endpoint: killed from outside (as the OOM
// killer would), readiness answers 503 naming it, and 200 again once it is restarted on its port.
import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSquidship, type RunningSquidship } from '../src/main.js';
import { pollUntil } from './helpers/poll-until.js';

/** Pids of this process's children started with --openssl-legacy-provider: the embedded S3 endpoint. */
async function findEmbeddedS3Pids(): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const [stat, cmdline] = await Promise.all([readFile(`/proc/${name}/stat`, 'utf8'), readFile(`/proc/${name}/cmdline`, 'utf8')]).catch((): [string, string] => ['', '']);
    const parentPid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (parentPid === process.pid && cmdline.includes('--openssl-legacy-provider')) pids.push(Number(name));
  }
  return pids;
}

describe.runIf(process.platform === 'linux')('readiness with the embedded S3 endpoint', () => {
  let server: RunningSquidship | null = null;
  let dataDir = '';
  afterEach(async () => {
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers 503 while the endpoint is dead, and 200 after its restart on the same port', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'squidship-ready-'));
    server = await startSquidship({
      env: { SQUIDSHIP_DATA_DIR: dataDir, SQUIDSHIP_PORT: '0', SQUIDSHIP_EMBEDDED_S3_PORT: '0', SQUIDSHIP_LOG_LEVEL: 'silent' },
      cwd: dataDir,
      role: 'all',
      out: { write: () => true } as unknown as NodeJS.WritableStream,
    });
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    const [pid, ...others] = await findEmbeddedS3Pids();
    expect(others).toEqual([]);
    process.kill(pid!, 'SIGKILL');

    const down = await pollUntil(async () => {
      const response = await fetch(`${server!.url}/readyz`);
      return response.status === 503 ? ((await response.json()) as { errors: { message: string } }) : undefined;
    }, { timeoutMs: 10_000, intervalMs: 10, what: '/readyz to answer 503' });
    expect(down.errors.message).toBe('Not ready: the embedded S3 endpoint died and is restarting.');

    await pollUntil(async () => (await fetch(`${server!.url}/readyz`)).status === 200, { timeoutMs: 30_000, what: '/readyz to answer 200 again' });
    expect((await fetch(`${server.s3Endpoint}/my-bucket?list-type=2`)).status).toBe(200);
    expect(await findEmbeddedS3Pids()).not.toContain(pid);
  });
});
