// A `COPY (...) TO STDOUT (FORMAT binary)` of one text column on a pg client, read through
// pg-copy-streams as the store's batches (binary-copy-batches.ts): each chunk of the COPY's data
// is decoded as the consumer asks for the next batch, and the stream's own back-pressure pauses
// the socket while the consumer holds the batches.
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { ResultTextBatch } from '../store.js';
import { createBinaryCopyBatches } from './binary-copy-batches.js';

const COPY_TO_STDOUT = /^\s*copy\s*\(.*\)\s*to\s+stdout\b/is;
/**
 * The COPY data the stream reads ahead of the decoder, set rather than Node's default (16 KiB on
 * Node 20, 64 KiB from Node 22) so it is the same on every Node; a chunk is decoded a batch at a
 * time, so its size bounds only these raw bytes, never the batches.
 */
const READ_AHEAD_BYTES = 64 * 1024;

/**
 * The COPY's rows, `batchSize` to a batch; fails with PostgreSQL's error if the COPY does. A
 * consumer that stops early leaves the COPY unfinished: it must close the client (pg's `end()`
 * then drops the connection, as it does for any query still running).
 */
export async function* copyOutBatches(client: pg.Client, copyStatement: string, batchSize: number): AsyncGenerator<ResultTextBatch> {
  // pg-copy-streams reads a COPY's answer only; any other would reach pg's parser mid-way and crash it.
  if (!COPY_TO_STDOUT.test(copyStatement)) throw new Error(`the statement is not a COPY (...) TO STDOUT: ${copyStatement.slice(0, 60)}`);
  let decoded: ResultTextBatch | null = null;
  const rows = createBinaryCopyBatches(batchSize, (batch) => {
    decoded = batch;
  });
  const stream = client.query(copyTo(copyStatement, { highWaterMark: READ_AHEAD_BYTES }));
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    // One batch at a time: a chunk holding many batches (a slow consumer lets the socket fill)
    // would otherwise take a buffer for each before the consumer released any (Node 22's larger
    // stream buffers made it 7 of 1 MiB for 200-row batches).
    for (let at = 0; at < chunk.length; ) {
      at = rows.write(chunk, at, chunk.length);
      if (decoded !== null) yield takeBatch();
    }
  }
  // Throws when the data stopped before the binary format's trailer: no run is ever cut short.
  rows.end();
  if (decoded !== null) yield takeBatch();

  function takeBatch(): ResultTextBatch {
    const batch = decoded!;
    decoded = null;
    return batch;
  }
}
