// A small client for the Lobstr-compatible API of a Squidship process, in the calls the process
// tests make: squid + S3 delivery, run, NDJSON results, complete, and reading runs back.
// Every call checks the HTTP status and says what the server answered when it is wrong.
import { createHash } from 'node:crypto';
import { BUILT_IN_CRAWLER } from '../../src/domain/crawlers.js';
import { pollUntil } from '../helpers/poll-until.js';

export interface ApiClient {
  readonly url: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(method: string, path: string, options?: { json?: unknown; ndjson?: string; expect?: number[] }): Promise<any>;
}

export interface RunView {
  id: string;
  status: string;
  done_reason: string | null;
  export_done: boolean | null;
  export_count: number;
  total_results: number;
}

export interface AttemptView {
  outcome: string | null;
  [field: string]: unknown;
}

export interface DeliveryView {
  id: string;
  status: string;
  key: string;
  attempts: number;
  attempt_history: AttemptView[];
  [field: string]: unknown;
}

export function createApiClient(url: string, token: string): ApiClient {
  return {
    url,
    async call(method, path, options = {}) {
      const headers: Record<string, string> = { authorization: `Token ${token}` };
      let body: string | undefined;
      if (options.json !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(options.json);
      } else if (options.ndjson !== undefined) {
        headers['content-type'] = 'application/x-ndjson';
        body = options.ndjson;
      }
      const response = await fetch(url + path, { method, headers, body });
      const text = await response.text();
      const expected = options.expect ?? [200, 201];
      if (!expected.includes(response.status)) {
        throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 500)}`);
      }
      return text === '' ? null : JSON.parse(text);
    },
  };
}

/** A squid whose completed runs are delivered to `bucket`/`targetPath` on the server's default endpoint. */
export async function createSquidWithS3Delivery(
  api: ApiClient,
  input: { name: string; bucket: string; targetPath: string },
): Promise<string> {
  const squid = await api.call('POST', '/v1/squids', { json: { crawler: BUILT_IN_CRAWLER.id, name: input.name } });
  await api.call('POST', `/v1/delivery?squid=${squid.id}`, {
    json: {
      s3_fields: {
        bucket: input.bucket,
        is_active: true,
        target_path: input.targetPath,
        // s3rver accepts its dummy account's keys; the value only has to be a key pair.
        aws_access_key: 'S3RVER',
        aws_secret_key: 'S3RVER',
      },
    },
  });
  return squid.id as string;
}

export async function startRun(api: ApiClient, squidId: string): Promise<string> {
  const run = await api.call('POST', '/v1/runs', { json: { squid: squidId } });
  return run.id as string;
}

export async function pushRows(api: ApiClient, runId: string, rows: readonly object[] | string): Promise<void> {
  const ndjson = typeof rows === 'string' ? rows : rows.map((row) => JSON.stringify(row)).join('\n') + '\n';
  await api.call('POST', `/v1/runs/${runId}/results`, { ndjson });
}

export async function completeRun(api: ApiClient, runId: string): Promise<RunView> {
  return api.call('POST', `/v1/runs/${runId}/complete`);
}

export async function getRun(api: ApiClient, runId: string): Promise<RunView> {
  return api.call('GET', `/v1/runs/${runId}`);
}

/** Polls until the run is `done` (after a restart its delivery is taken up again). */
export function waitForRunDone(api: ApiClient, runId: string): Promise<RunView> {
  return pollUntil(
    async () => {
      const current = await getRun(api, runId);
      return current.status === 'done' ? current : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200, what: 'the run to be done after the restart' },
  );
}

export async function listRunDeliveries(api: ApiClient, runId: string): Promise<DeliveryView[]> {
  const answer = await api.call('GET', `/v1/runs/${runId}/deliveries`);
  return answer.data as DeliveryView[];
}

/** The outcomes of a delivery's attempts, oldest first. */
export function attemptOutcomes(delivery: DeliveryView): Array<string | null> {
  return delivery.attempt_history.map((attempt) => attempt.outcome);
}

/**
 * The CSV Squidship exports for `rows` whose values need no quoting (see src/export/README.md):
 * the header of their keys in first-seen order, CRLF after every record.
 */
export function renderPlainCsv(rows: readonly Record<string, string | number>[]): string {
  const columns: string[] = [];
  for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
  const records = [columns.join(',')];
  for (const row of rows) records.push(columns.map((column) => (row[column] === undefined ? '' : String(row[column]))).join(','));
  return records.map((record) => `${record}\r\n`).join('');
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}
