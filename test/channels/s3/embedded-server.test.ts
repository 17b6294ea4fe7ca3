// The embedded S3 endpoint: s3rver in a child process under --openssl-legacy-provider.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmbeddedS3, type EmbeddedS3 } from '../../../src/channels/s3/embedded-server.js';
import { listObjectKeys, readObject } from '../../../src/channels/s3/list-objects.js';
import { uploadObject } from '../../../src/channels/s3/upload.js';
import { s3TargetFor } from '../../helpers/s3rver.js';
import { uploadInput } from './upload-fixtures.js';
import { pollUntil } from '../../helpers/poll-until.js';

const AWS_CLI = '/usr/bin/aws';

let directory: string;
const servers: EmbeddedS3[] = [];

async function start(buckets: string[]): Promise<EmbeddedS3> {
  const server = await startEmbeddedS3({ host: '127.0.0.1', port: 0, directory, buckets });
  servers.push(server);
  return server;
}

async function isListening(endpoint: string): Promise<boolean> {
  return fetch(endpoint).then(() => true, () => false);
}

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'squidship-embedded-s3-'));
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
  await rm(directory, { recursive: true, force: true });
});

describe('startEmbeddedS3', () => {
  it('serves the configured buckets on the port it picked, and stops (twice)', async () => {
    const server = await start(['my-bucket', 'other-bucket']);
    expect(server.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.endpoint).not.toMatch(/:0$/);
    await uploadObject(uploadInput(s3TargetFor(server.endpoint, 'other-bucket'), 'exports/a.csv', Readable.from(['x,y\n'])));
    expect(await listObjectKeys(s3TargetFor(server.endpoint, 'other-bucket'), 'exports/')).toEqual(['exports/a.csv']);
    await server.stop();
    await server.stop();
    expect(await isListening(server.endpoint)).toBe(false);
  });

  it('keeps objects in its directory across restarts', async () => {
    const first = await start(['my-bucket']);
    await uploadObject(uploadInput(s3TargetFor(first.endpoint, 'my-bucket'), 'kept.csv', Readable.from(['kept\n'])));
    await first.stop();
    const second = await start(['my-bucket']);
    expect((await readObject(s3TargetFor(second.endpoint, 'my-bucket'), 'kept.csv')).body.toString()).toBe('kept\n');
  });

  it('accepts any access key, as the Lobstr page example sends placeholder keys', async () => {
    const server = await start(['my-bucket']);
    const target = { ...s3TargetFor(server.endpoint, 'my-bucket'), credentials: { accessKeyId: 'your_access_key', secretAccessKey: 'your_secret_key' } };
    await uploadObject(uploadInput(target, 'exports/page.csv', Readable.from(['a\n'])));
    expect((await readObject(target, 'exports/page.csv')).body.toString()).toBe('a\n');
  });

  it('dies with the process that started it', async () => {
    const script = join(directory, 'parent.mts');
    const moduleUrl = pathToFileURL(fileURLToPath(new URL('../../../src/channels/s3/embedded-server.ts', import.meta.url))).href;
    await writeFile(
      script,
      `import { startEmbeddedS3 } from ${JSON.stringify(moduleUrl)};\n` +
        `const s = await startEmbeddedS3({ host: '127.0.0.1', port: 0, directory: ${JSON.stringify(join(directory, 'data'))}, buckets: ['b-1'] });\n` +
        `console.log(s.endpoint);\nsetInterval(() => {}, 1000);\n`,
    );
    const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;
    const parent = spawn(process.execPath, ['--import', tsxLoader, script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const endpoint = await new Promise<string>((resolve, reject) => {
      parent.stdout.setEncoding('utf8');
      parent.stdout.on('data', (line: string) => resolve(line.trim()));
      parent.once('exit', () => reject(new Error('parent exited early')));
    });
    expect(await isListening(endpoint)).toBe(true);
    parent.kill('SIGKILL');
    await pollUntil(async () => !(await isListening(endpoint)), { timeoutMs: 10_000, what: 'the endpoint to stop listening' });
  });
});

describe.skipIf(!existsSync(AWS_CLI))('the AWS CLI against the embedded endpoint', () => {
  const awsEnv = {
    ...process.env,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };

  it('lists uploaded objects with `aws s3 ls`, over truncated pages too', async () => {
    const server = await start(['my-bucket']);
    const target = s3TargetFor(server.endpoint, 'my-bucket');
    for (const name of ['a', 'b', 'c']) {
      await uploadObject(uploadInput(target, `exports/seen-by-cli-${name}.csv`, Readable.from(['a,b\n1,2\n'])));
    }
    // --page-size 1 makes the CLI follow continuation tokens, which need --openssl-legacy-provider.
    const { stdout } = await promisify(execFile)(
      AWS_CLI,
      ['--endpoint-url', server.endpoint, 's3', 'ls', '--page-size', '1', 's3://my-bucket/exports/'],
      { env: { ...awsEnv, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' } },
    );
    const listed = stdout.trim().split('\n').map((line) => line.trim().split(/\s+/).slice(2).join(' '));
    expect(listed).toEqual(['8 seen-by-cli-a.csv', '8 seen-by-cli-b.csv', '8 seen-by-cli-c.csv']);
  });

  it('lists without credentials too (--no-sign-request)', async () => {
    const server = await start(['my-bucket']);
    await uploadObject(uploadInput(s3TargetFor(server.endpoint, 'my-bucket'), 'exports/x.csv', Readable.from(['x\n'])));
    const { stdout } = await promisify(execFile)(
      AWS_CLI,
      ['--endpoint-url', server.endpoint, 's3', 'ls', '--no-sign-request', 's3://my-bucket/exports/'],
      { env: awsEnv },
    );
    expect(stdout).toContain(' 2 x.csv');
  });
});

if (!existsSync(AWS_CLI)) console.log(`skipping the AWS CLI test: ${AWS_CLI} is not installed`);
