// Brings one Squidship process to the middle of a multipart upload and holds it there: a run of
// about 20 MB is completed, the first part reaches s3rver, then the fault proxy in front of it
// stalls, so the next request of the upload hangs. Used by the kill and shutdown tests.
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import type { FaultProxy } from '../helpers/s3-fault-proxy.js';
import { pollUntil } from '../helpers/poll-until.js';
import {
  completeRun,
  createSquidWithS3Delivery,
  listRunDeliveries,
  pushRows,
  renderPlainCsv,
  startRun,
  type ApiClient,
} from './squidship-api.js';

/** S3's smallest part (every part but the last must be at least 5 MiB). */
export const PART_SIZE_BYTES = 5 * 1024 * 1024;

/** Settings that make the upload predictable: smallest parts, one part in flight at a time. */
export const STALLABLE_UPLOAD_ENV = {
  SQUIDSHIP_S3_PART_SIZE_BYTES: String(PART_SIZE_BYTES),
  SQUIDSHIP_S3_QUEUE_SIZE: '1',
  SQUIDSHIP_S3_FORCE_PATH_STYLE: 'true',
  SQUIDSHIP_S3_REGION: 'us-east-1',
} as const;

export interface StalledUpload {
  runId: string;
  /** The delivery's object key, as the API shows it. */
  key: string;
  /** The CSV the delivery must finally write, byte for byte. */
  expectedCsv: string;
  rowCount: number;
}

/** About 20 MB of CSV: four 5 MiB parts, so a stall after the first part is truly in the middle. */
const LARGE_RUN_ROWS = 20_000;

/** `count` rows of about 1 KB each, distinct and needing no CSV quoting. */
export function makeLargeRows(count: number): Array<Record<string, string | number>> {
  const rows: Array<Record<string, string | number>> = [];
  for (let n = 0; n < count; n += 1) {
    const digest = createHash('sha256').update(`row ${n}`).digest('hex');
    rows.push({ n, item_id: `row-${n}`, payload: digest.repeat(15) });
  }
  return rows;
}

export async function startStalledUpload(api: ApiClient, proxy: FaultProxy, input: { bucket: string; targetPath: string; squidName: string }): Promise<StalledUpload> {
  const squidId = await createSquidWithS3Delivery(api, { name: input.squidName, bucket: input.bucket, targetPath: input.targetPath });
  const runId = await startRun(api, squidId);
  const rows = makeLargeRows(LARGE_RUN_ROWS);
  await pushRows(api, runId, rows);
  await completeRun(api, runId);

  // Let the first part through, then hold whatever comes next: the upload is mid-way.
  await pollUntil(() => proxy.counts.UploadPart >= 1, { timeoutMs: 60_000, intervalMs: 5, what: 'the first part to reach the proxy' });
  proxy.stall();
  const seenAtStall = countRequests(proxy);
  await pollUntil(() => countRequests(proxy) > seenAtStall, { timeoutMs: 30_000, intervalMs: 20, what: 'a request held by the stalled proxy' });
  expect(proxy.counts.CreateMultipartUpload, 'the upload is a multipart upload').toBe(1);
  expect(proxy.counts.CompleteMultipartUpload, 'the upload must still be unfinished').toBe(0);

  const [delivery, ...others] = await listRunDeliveries(api, runId);
  expect(others).toEqual([]);
  expect(delivery?.status).toBe('running');
  return { runId, key: delivery!.key, expectedCsv: renderPlainCsv(rows), rowCount: rows.length };
}

export function countRequests(proxy: FaultProxy): number {
  return (Object.values(proxy.counts) as number[]).reduce((sum, count) => sum + count, 0);
}
