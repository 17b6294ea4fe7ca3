// A `COPY (...) TO STDOUT (FORMAT binary)` of one text column on a pg client, read through
// pg-copy-streams as the store's batches (binary-copy-batches.ts): each chunk of the COPY's data
// is decoded as it comes, and the stream's own back-pressure pauses the socket while the
// consumer holds the batches.
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { ResultTextBatch } from '../store.js';
import { createBinaryCopyBatches } from './binary-copy-batches.js';

const COPY_TO_STDOUT = /^\s*copy\s*\(.*\)\s*to\s+stdout\b/is;

/**
 * The COPY's rows, `batchSize` to a batch; fails with PostgreSQL's error if the COPY does. A
 * consumer that stops early leaves the COPY unfinished: it must close the client (pg's `end()`
 * then drops the connection, as it does for any query still running).
 */
export async function* copyOutBatches(client: pg.Client, copyStatement: string, batchSize: number): AsyncGenerator<ResultTextBatch> {
  // pg-copy-streams reads a COPY's answer only; any other would reach pg's parser mid-way and crash it.
  if (!COPY_TO_STDOUT.test(copyStatement)) throw new Error(`the statement is not a COPY (...) TO STDOUT: ${copyStatement.slice(0, 60)}`);
  const decoded: ResultTextBatch[] = [];
  const rows = createBinaryCopyBatches(batchSize, (batch) => decoded.push(batch));
  const stream = client.query(copyTo(copyStatement));
  const handOut = function* () {
    for (let batch = decoded.shift(); batch !== undefined; batch = decoded.shift()) yield batch;
  };
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    rows.write(chunk, 0, chunk.length);
    yield* handOut();
  }
  // Throws when the data stopped before the binary format's trailer: no run is ever cut short.
  rows.end();
  yield* handOut();
}
