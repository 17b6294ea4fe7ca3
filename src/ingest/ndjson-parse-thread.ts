// The NDJSON parse thread: runs parseNdjsonRows (split, scan, check, hash) for the requests that
// threaded-ndjson-rows.ts sends it, each a session of its own, so that the main thread keeps
// only the store's writes. Each batch goes back packed: every row's bytes in one transferred
// buffer with their end offsets, hashes and scraping times beside them. A row without a
// scraping time of its own gets NaN here; the main thread gives it its clock's now.
import { createGarbageCollector } from '../runtime/garbage-collector.js';
import { serializeError } from '../runtime/thread-error.js';
import { openParentPort } from '../runtime/thread-port.js';
import { parseNdjsonRows } from './ndjson-rows.js';
import type { ParsedBatch } from './parsed-batch.js';
import type { ParseThreadReply, ParseThreadRequest, ThreadParseOptions } from './threaded-ndjson-rows.js';


/**
 * A session's body chunks as the parser reads them. A chunk counts as consumed once the parser
 * asks for the next one (its rows are in a batch or held, copied, as the partial line); when
 * the parser waits for input, the count goes to the main thread, which sends more up to its
 * limit of unconsumed bytes.
 */
interface ChunkQueue extends AsyncIterable<Buffer> {
  push(chunk: Buffer): void;
  end(): void;
  /** The session is gone: the parser gets the end of its input, and nothing more is sent. */
  drop(): void;
  readonly dropped: boolean;
  readonly consumedBytes: number;
}

function createChunkQueue(session: number): ChunkQueue {
  const chunks: Buffer[] = [];
  let ended = false;
  let dropped = false;
  let consumedBytes = 0;
  let reportedBytes = 0;
  let held = 0;
  let wake: (() => void) | null = null;
  const reportConsumed = (): void => {
    if (consumedBytes === reportedBytes || dropped) return;
    reportedBytes = consumedBytes;
    post({ type: 'consumed', session, consumedBytes });
  };
  async function* read(): AsyncGenerator<Buffer> {
    for (;;) {
      consumedBytes += held;
      uncollectedBytes += held;
      held = 0;
      if (uncollectedBytes >= BYTES_PER_COLLECTION) {
        uncollectedBytes = 0;
        collector.young();
      }
      if (chunks.length === 0 && !ended && !dropped) {
        reportConsumed();
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      const chunk = chunks.shift();
      if (chunk === undefined || dropped) return;
      held = chunk.length;
      yield chunk;
    }
  }
  const awaken = (): void => {
    wake?.();
    wake = null;
  };
  return {
    push(chunk) {
      chunks.push(chunk);
      awaken();
    },
    end() {
      ended = true;
      awaken();
    },
    drop() {
      dropped = true;
      chunks.length = 0;
      awaken();
    },
    get dropped() {
      return dropped;
    },
    get consumedBytes() {
      return consumedBytes;
    },
    [Symbol.asyncIterator]: read,
  };
}

/** Body bytes consumed between two scavenges of this thread's heap. */
const BYTES_PER_COLLECTION = 8 * 1024 * 1024;

/**
 * A scavenge (young-generation collection) of this thread's heap every BYTES_PER_COLLECTION.
 * The body's chunks are garbage once parsed, but V8 frees an ArrayBuffer only when a collection
 * finds it dead, and a thread that allocates few JS objects waits for ~64 MB of them first;
 * they then stayed in the process's memory, idle, after the ingest (1M-row bench:delivery: peak
 * RSS +85 MiB during the delivery that followed).
 */
const collector = createGarbageCollector();
let uncollectedBytes = 0;

const sessions = new Map<number, ChunkQueue>();

/**
 * Batch buffers come back once the store has the rows, and are packed again. A new buffer per
 * batch (730 MiB of them for bench:delivery's 1M rows) went through malloc, which kept part of
 * them after the ingest (glibc raises its mmap threshold to the size of a freed buffer, so
 * later ones came from an arena that did not shrink; with MALLOC_MMAP_THRESHOLD_ fixed the
 * growth went away): peak RSS of the delivery that followed 281 MiB, 260 MiB with reuse.
 * Sizes are rounded up to whole MiB so that a buffer fits the next batches too.
 */
const BUFFER_SIZE_STEP = 1024 * 1024;
const MAX_FREE_BUFFERS = 8;
const freeBuffers: ArrayBuffer[] = [];

function takeBuffer(byteLength: number): ArrayBuffer {
  const index = freeBuffers.findIndex((buffer) => buffer.byteLength >= byteLength);
  if (index !== -1) return freeBuffers.splice(index, 1)[0]!;
  return new ArrayBuffer(Math.max(1, Math.ceil(byteLength / BUFFER_SIZE_STEP)) * BUFFER_SIZE_STEP);
}

const port = openParentPort<ParseThreadRequest, ParseThreadReply>('ndjson-parse-thread.ts', (request) => {
  if (request.type === 'open') {
    const queue = createChunkQueue(request.session);
    sessions.set(request.session, queue);
    void runSession(request.session, queue, request.options);
    return;
  }
  if (request.type === 'free') {
    if (freeBuffers.length < MAX_FREE_BUFFERS) freeBuffers.push(request.buffer);
    return;
  }
  const queue = sessions.get(request.session);
  if (request.type === 'chunk') queue?.push(Buffer.from(request.chunk.buffer, request.chunk.byteOffset, request.chunk.byteLength));
  else if (request.type === 'end') queue?.end();
  else {
    queue?.drop();
    sessions.delete(request.session);
  }
});

async function runSession(session: number, queue: ChunkQueue, options: ThreadParseOptions): Promise<void> {
  try {
    for await (const batch of parseNdjsonRows(queue, { ...options, now: () => Number.NaN })) {
      if (queue.dropped) return;
      postBatch(session, batch, queue.consumedBytes);
    }
    if (!queue.dropped) post({ type: 'end', session });
  } catch (error) {
    if (!queue.dropped) post({ type: 'error', session, error: serializeError(error) });
  } finally {
    sessions.delete(session);
  }
}

/** The batch's rows, packed: their bytes end to end in one buffer (a free one if any fits), transferred. */
function postBatch(session: number, batch: ParsedBatch, consumedBytes: number): void {
  const { rows } = batch;
  let total = 0;
  for (const row of rows) total += row.dataBytes?.length ?? Buffer.byteLength(row.data);
  const buffer = takeBuffer(total);
  const data = Buffer.from(buffer);
  const ends = new Uint32Array(rows.length);
  const scrapingTimesMs = new Float64Array(rows.length);
  const hashes = new Array<string>(rows.length);
  let at = 0;
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index]!;
    if (row.dataBytes === undefined) {
      at += data.write(row.data, at, 'utf8');
    } else {
      data.set(row.dataBytes, at);
      at += row.dataBytes.length;
    }
    ends[index] = at;
    scrapingTimesMs[index] = row.scrapingTimeMs;
    hashes[index] = row.rowHash;
  }
  post(
    { type: 'batch', session, consumedBytes, data: buffer, ends, hashes, scrapingTimesMs, columns: batch.columns },
    [buffer, ends.buffer as ArrayBuffer, scrapingTimesMs.buffer as ArrayBuffer],
  );
}

function post(reply: ParseThreadReply, transfer: ArrayBuffer[] = []): void {
  port.reply(reply, transfer);
}
