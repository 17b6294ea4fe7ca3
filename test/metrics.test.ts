// GET /metrics after a real delivery to the embedded S3 endpoint: the names a dashboard and the
// documented alert use, with the values of what happened (rows in, rows and bytes out).
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSquidship, type RunningSquidship } from '../src/main.js';
import { completeRun, createApiClient, createSquidWithS3Delivery, listRunDeliveries, pushRows, startRun, waitForRunDone } from './process/squidship-api.js';

const TOKEN = 'metrics_test_token_0000000000000001';

/** The value of the sample `name{labels}` (labels as Prometheus prints them), or undefined. */
function readSample(text: string, sample: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

/** A port free a moment ago (SQUIDSHIP_METRICS_PORT takes no 0). */
async function findFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('GET /metrics', () => {
  let server: RunningSquidship | null = null;
  let dataDir = '';
  afterEach(async () => {
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('counts the ingest, the delivery with its rows and bytes, the queue and the HTTP requests', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'squidship-metrics-'));
    server = await startSquidship({
      env: { SQUIDSHIP_DATA_DIR: dataDir, SQUIDSHIP_PORT: '0', SQUIDSHIP_EMBEDDED_S3_PORT: '0', SQUIDSHIP_LOG_LEVEL: 'silent', SQUIDSHIP_BOOTSTRAP_TOKEN: TOKEN },
      cwd: dataDir,
      role: 'all',
      out: { write: () => true } as unknown as NodeJS.WritableStream,
    });
    const api = createApiClient(server.url!, TOKEN);
    const squidId = await createSquidWithS3Delivery(api, { name: 'metered', bucket: 'my-bucket', targetPath: 'metrics' });
    const runId = await startRun(api, squidId);
    const rows = [{ shop: 'a', price: 1 }, { shop: 'b', price: 2 }, { shop: 'c', price: 3 }];
    await pushRows(api, runId, rows);
    await completeRun(api, runId);
    await waitForRunDone(api, runId);
    const [delivery] = await listRunDeliveries(api, runId);

    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(readSample(text, 'squidship_ingested_rows_total')).toBe(3);
    expect(readSample(text, 'squidship_ingested_bytes_total')).toBe(rows.map((row) => JSON.stringify(row).length).reduce((a, b) => a + b));
    expect(readSample(text, 'squidship_deliveries_total{channel="s3",outcome="succeeded"}')).toBe(1);
    expect(readSample(text, 'squidship_delivered_rows_total{channel="s3"}')).toBe(3);
    expect(readSample(text, 'squidship_delivered_bytes_total{channel="s3"}')).toBe(Number(delivery!.attempt_history.at(-1)?.bytes));
    expect(readSample(text, 'squidship_delivery_attempt_duration_seconds_count{channel="s3",outcome="succeeded"}')).toBe(1);
    expect(readSample(text, 'squidship_delivery_queue_depth{status="pending"}')).toBe(0);
    expect(readSample(text, 'squidship_delivery_oldest_due_age_seconds')).toBe(0);
    expect(readSample(text, 'squidship_http_requests_total{method="POST",route="/v1/runs/:id/results",status="200"}')).toBe(1);
    expect(readSample(text, 'squidship_http_requests_total{method="POST",route="/v1/squids",status="200"}')).toBe(1);
  });

  it('is served on SQUIDSHIP_METRICS_PORT by a worker process, which has no API port', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'squidship-metrics-'));
    server = await startSquidship({
      env: { SQUIDSHIP_DATA_DIR: dataDir, SQUIDSHIP_EMBEDDED_S3: 'false', SQUIDSHIP_LOG_LEVEL: 'silent', SQUIDSHIP_METRICS_PORT: String(await findFreePort()) },
      cwd: dataDir,
      role: 'worker',
      out: { write: () => true } as unknown as NodeJS.WritableStream,
    });
    expect(server.url).toBeNull();
    const text = await (await fetch(`${server.metricsUrl}/metrics`)).text();
    expect(text).toContain('# TYPE squidship_deliveries_total counter');
    expect(readSample(text, 'squidship_delivery_queue_depth{status="pending"}')).toBe(0);
    expect((await fetch(`${server.metricsUrl}/v1/me`)).status).toBe(404);
  });
});
