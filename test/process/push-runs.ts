// Drives many runs through the API at once, as many scrapers would: `squids` squids, each with
// its own S3 target path, each running `runsPerSquid` runs one after another (a squid has one
// active run at a time), `concurrency` squids in parallel. Each run gets a few distinct rows.
import { createHash } from 'node:crypto';
import { completeRun, createSquidWithS3Delivery, pushRows, renderPlainCsv, startRun, type ApiClient } from './squidship-api.js';

export interface PushedRun {
  runId: string;
  squidName: string;
  targetPath: string;
  /** The CSV its delivery must write, byte for byte. */
  expectedCsv: string;
}

export interface PushRunsOptions {
  squids: number;
  runsPerSquid: number;
  concurrency: number;
  bucket: string;
}

export async function pushRunsConcurrently(api: ApiClient, options: PushRunsOptions): Promise<PushedRun[]> {
  const pushed: PushedRun[] = [];
  let nextSquid = 0;
  const lane = async (): Promise<void> => {
    while (nextSquid < options.squids) {
      const squidIndex = nextSquid;
      nextSquid += 1;
      pushed.push(...(await pushSquidRuns(api, squidIndex, options)));
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.squids) }, lane));
  return pushed;
}

async function pushSquidRuns(api: ApiClient, squidIndex: number, options: PushRunsOptions): Promise<PushedRun[]> {
  // Already a slug, so the object key's file name starts with it unchanged.
  const squidName = `scale-out-${String(squidIndex).padStart(2, '0')}`;
  const targetPath = `squid-${String(squidIndex).padStart(2, '0')}`;
  const squidId = await createSquidWithS3Delivery(api, { name: squidName, bucket: options.bucket, targetPath });
  const runs: PushedRun[] = [];
  for (let runIndex = 0; runIndex < options.runsPerSquid; runIndex += 1) {
    const runId = await startRun(api, squidId);
    const rows = makeRunRows(squidIndex, runIndex);
    await pushRows(api, runId, rows);
    await completeRun(api, runId);
    runs.push({ runId, squidName, targetPath, expectedCsv: renderPlainCsv(rows) });
  }
  return runs;
}

/** 2 to 6 rows whose content names their squid and run, so no two runs' objects are alike. */
function makeRunRows(squidIndex: number, runIndex: number): Array<Record<string, string | number>> {
  const count = 2 + ((squidIndex + runIndex) % 5);
  return Array.from({ length: count }, (_, n) => ({
    squid_no: squidIndex,
    run_no: runIndex,
    n,
    value: createHash('sha256').update(`${squidIndex}/${runIndex}/${n}`).digest('hex').slice(0, 16),
  }));
}
