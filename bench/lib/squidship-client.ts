// The few Squidship API calls the benchmarks make, over plain HTTP, with `Authorization: Token`.
import { request } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { S3RVER_KEYS } from './aws-cli.js';

export interface PushResult {
  accepted: number;
  totalResults: number;
}

export interface DeliveryView {
  status: string;
  key: string;
  bucket: string;
  attempts: AttemptView[];
}

export interface AttemptView {
  startedAtMs: number | null;
  endedAtMs: number | null;
  bytes: number | null;
  rows: number | null;
  etag: string | null;
  error: unknown;
}

export type SquidshipClient = ReturnType<typeof createSquidshipClient>;

export function createSquidshipClient(baseUrl: string, token: string) {
  const headers = { authorization: `Token ${token}`, 'content-type': 'application/json' };
  async function call(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
    const response = await fetch(`${baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 500)}`);
    return (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>;
  }
  return {
    call,
    async createSquid(name: string): Promise<string> {
      return String((await call('POST', '/v1/squids', { name })).id);
    },
    /**
     * With keys, as a user configures it (the embedded s3rver accepts any): every request is
     * signed, and every part's SHA-256 computed for it, as the aws CLI of the reference does.
     */
    async configureS3Delivery(squidId: string, bucket: string, targetPath: string): Promise<void> {
      const s3Fields = { bucket, is_active: true, target_path: targetPath, aws_access_key: S3RVER_KEYS.accessKeyId, aws_secret_key: S3RVER_KEYS.secretAccessKey };
      await call('POST', `/v1/delivery?squid=${squidId}`, { s3_fields: s3Fields });
    },
    async startRun(squidId: string): Promise<string> {
      return String((await call('POST', '/v1/runs', { squid: squidId })).id);
    },
    pushNdjson: (runId: string, body: Readable, contentLength?: number) => pushNdjson(baseUrl, token, runId, body, contentLength),
    async completeRun(runId: string): Promise<Record<string, unknown>> {
      return call('POST', `/v1/runs/${runId}/complete`);
    },
    async getRun(runId: string): Promise<Record<string, unknown>> {
      return call('GET', `/v1/runs/${runId}`);
    },
    async listDeliveries(runId: string): Promise<DeliveryView[]> {
      const answer = await call('GET', `/v1/runs/${runId}/deliveries`);
      return ((answer.data ?? []) as Record<string, unknown>[]).map(readDelivery);
    },
  };
}

/** Streams an NDJSON body into the run (chunked unless the length is known). */
async function pushNdjson(baseUrl: string, token: string, runId: string, body: Readable, contentLength?: number): Promise<PushResult> {
  const url = new URL(`/v1/runs/${runId}/results`, baseUrl);
  const headers: Record<string, string> = { authorization: `Token ${token}`, 'content-type': 'application/x-ndjson' };
  if (contentLength !== undefined) headers['content-length'] = String(contentLength);
  const req = request(url, { method: 'POST', headers });
  const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
    req.once('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      response.once('error', reject);
    });
    req.once('error', reject);
  });
  // A server that rejects the body early answers before we finish sending: its answer wins.
  const sent = pipeline(body, req).catch((error: unknown) => error);
  const { status, text } = await answered;
  const sendError = await sent;
  if (status < 200 || status >= 300) throw new Error(`POST ${url.pathname} answered ${status}: ${text.slice(0, 500)}`);
  if (sendError instanceof Error) throw new Error(`POST ${url.pathname} answered ${status} but the body was not fully sent`, { cause: sendError });
  const answer = JSON.parse(text) as Record<string, unknown>;
  return { accepted: Number(answer.accepted), totalResults: Number(answer.total_results) };
}

function readDelivery(raw: Record<string, unknown>): DeliveryView {
  const history = (raw.attempt_history ?? raw.attempts ?? []) as Record<string, unknown>[];
  return {
    status: String(raw.status),
    key: String(raw.key ?? raw.object_key ?? ''),
    bucket: String(raw.bucket ?? ''),
    attempts: Array.isArray(history)
      ? history.map((a) => ({
          startedAtMs: readTime(a.started_at),
          endedAtMs: readTime(a.ended_at),
          bytes: typeof a.bytes === 'number' ? a.bytes : null,
          rows: typeof a.rows === 'number' ? a.rows : null,
          etag: typeof a.etag === 'string' ? a.etag : null,
          error: a.error ?? null,
        }))
      : [],
  };
}

function readTime(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}
