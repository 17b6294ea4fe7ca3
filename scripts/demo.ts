// `npm run demo`: the whole S3 delivery flow end to end, through the public API only.
// With SQUIDSHIP_URL and SQUIDSHIP_TOKEN set it drives that server (e.g. one started with
// `npm start`, whose embedded S3 endpoint is http://127.0.0.1:4569); otherwise it starts its own
// Squidship, with the embedded S3 endpoint, in a temporary folder, and stops it at the end.
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { readObject } from '../src/channels/s3/list-objects.js';
import { startSquidship, type RunningSquidship } from '../src/main.js';

const ROWS = 1000;

async function main(): Promise<void> {
  const { url, token, s3Endpoint, server } = await connect();
  const api = createApi(url, token);
  try {
    const squid = await api('POST', '/v1/squids', { name: `Demo squid ${randomBytes(2).toString('hex')}` });
    say(`1. Created squid "${squid.name}" (${squid.id})`);
    const s3Fields = { bucket: 'my-bucket', is_active: true, target_path: 'exports', aws_access_key: 'your_access_key', aws_secret_key: 'your_secret_key' };
    await api('POST', `/v1/delivery?squid=${squid.id}`, { s3_fields: s3Fields });
    say('2. Configured S3 delivery to s3://my-bucket/exports/ (the body of Lobstr\'s own example)');
    const probe = await api('POST', '/v1/delivery/test-s3', { bucket: 'my-bucket', target_path: 'exports', aws_access_key: 'your_access_key', aws_secret_key: 'your_secret_key' });
    say(`3. Tested it: success=${probe.success} status_code=${probe.status_code}`);
    const run = await api('POST', '/v1/runs', { squid: squid.id });
    const pushed = await api('POST', `/v1/runs/${run.id}/results`, renderRows(ROWS), 'application/x-ndjson');
    say(`4. Started run ${run.id} and pushed ${pushed.accepted} rows`);
    await api('POST', `/v1/runs/${run.id}/complete`);
    const done = await waitForRun(api, run.id);
    say(`5. Completed it: status=${done.status} done_reason=${done.done_reason} export_done=${done.export_done}`);
    const deliveries = await api('GET', `/v1/runs/${run.id}/deliveries`);
    const delivery = deliveries.data[0];
    say(`6. Delivered: s3://${delivery.bucket}/${delivery.key} (attempts: ${delivery.attempts}, status: ${delivery.status})`);
    if (s3Endpoint !== null) {
      const object = await readObject(
        { bucket: delivery.bucket, endpoint: s3Endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } },
        delivery.key,
      );
      say(`7. Read back from ${s3Endpoint}: ${object.body.length} bytes, ${object.contentType ?? 'no content type'}; first lines:`);
      say(object.body.toString('utf8').split('\r\n').slice(0, 3).map((line) => `     ${line}`).join('\n'));
      say(`   List it yourself: /usr/bin/aws --endpoint-url ${s3Endpoint} s3 ls s3://${delivery.bucket}/exports/`);
      if (server) say('   (this demo\'s own server stops now; run `npm start` and set SQUIDSHIP_URL and SQUIDSHIP_TOKEN to keep it)');
    }
  } finally {
    await server?.stop();
  }
}

type Api = (method: string, path: string, body?: unknown, contentType?: string) => Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function createApi(url: string, token: string): Api {
  return async (method, path, body, contentType = 'application/json') => {
    const response = await fetch(url + path, {
      method,
      headers: { authorization: `Token ${token}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const answer = await response.json();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(answer)}`);
    return answer;
  };
}

async function connect(): Promise<{ url: string; token: string; s3Endpoint: string | null; server: RunningSquidship | null }> {
  const { SQUIDSHIP_URL: url, SQUIDSHIP_TOKEN: token } = process.env;
  if (url && token) return { url, token, s3Endpoint: process.env.SQUIDSHIP_DEMO_S3_ENDPOINT ?? 'http://127.0.0.1:4569', server: null };
  const dataDir = await mkdtemp(join(tmpdir(), 'squidship-demo-'));
  const bootstrapToken = randomBytes(20).toString('hex');
  const server = await startSquidship({
    env: { SQUIDSHIP_DATA_DIR: dataDir, SQUIDSHIP_PORT: '0', SQUIDSHIP_EMBEDDED_S3_PORT: '0', SQUIDSHIP_BOOTSTRAP_TOKEN: bootstrapToken, SQUIDSHIP_LOG_LEVEL: 'warn' },
    cwd: process.cwd(),
    role: 'all',
    out: new Writable({ write: (_chunk, _encoding, callback) => callback() }),
  });
  say(`Started Squidship at ${server.url} with its embedded S3 endpoint at ${server.s3Endpoint} (data in ${dataDir})`);
  return { url: server.url ?? '', token: bootstrapToken, s3Endpoint: server.s3Endpoint, server };
}

async function waitForRun(api: Api, runId: string): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const deadline = Date.now() + 60_000;
  for (;;) {
    const run = await api('GET', `/v1/runs/${runId}`);
    if (run.status !== 'uploading' && run.status !== 'running') return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} is still ${run.status} after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function renderRows(count: number): string {
  const lines: string[] = [];
  for (let i = 1; i <= count; i++) {
    lines.push(JSON.stringify({ name: `Café n°${i}`, address: `${i} Rue de la "Paix", Paris`, score: (i % 50) / 10, tags: ['demo', i % 2 ? 'odd' : 'even'] }));
  }
  return lines.join('\n') + '\n';
}

function say(line: string): void {
  process.stdout.write(line + '\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
