// A run's result texts read on a worker thread, on a connection of the thread's own
// (Store.planResultTextsThread, planned in result-export-ops.ts), as one binary COPY of the run's
// visible rows: PostgreSQL streams their bytes and copy-out-batches.ts copies them into batches,
// so no row or batch becomes a JS string (a string_agg per 1,000 rows, each a transaction and a
// ~760 KB string, took ~13 s per million rows). The export's thread encodes the batches; the
// store's own connection keeps the batched read (readResultTexts) for small runs. This module
// loads pg only: a thread starts in ~50 ms.
import pg from 'pg';
import type { ResultTextsSource } from '../store.js';
import { copyOutBatches } from './copy-out-batches.js';

export interface PostgresResultTextsArgs {
  connectionString: string;
  /** `COPY (<the run's rows' texts, in push order>) TO STDOUT (FORMAT binary)`. */
  copyStatement: string;
  batchSize: number;
}

export function openResultTexts(args: unknown): ResultTextsSource {
  const { connectionString, copyStatement, batchSize } = args as PostgresResultTextsArgs;
  // JIT off as on the store's connections; sorts and bitmap scans off for the reason
  // readInSeqOrder gives (a run without statistics yet must be walked through its index).
  const client = new pg.Client({ connectionString, options: '-c jit=off -c enable_sort=off -c enable_bitmapscan=off' });
  let ending: Promise<void> | null = null;
  async function* read() {
    await client.connect();
    yield* copyOutBatches(client, copyStatement, batchSize);
  }
  return {
    batches: read(),
    close: () => (ending ??= client.end()),
  };
}
