// parseNdjsonRows on a worker thread (ndjson-parse-thread.ts): the same batches, rows and
// errors, while this thread keeps only the store's writes. Splitting, scanning and hashing a
// big body took ~40% of the main thread's time while it ingested into SQLite; on the thread,
// they run beside the store's inserts on the second core.
//
// One thread serves every request (each a session); it starts with the first, stops after
// IDLE_STOP_MS without any, and close() stops it. The request body is read here and its chunks are sent on (copied once into buffers
// that are transferred); at most MAX_UNPARSED_BYTES of them wait for the thread at a time, and
// the body is read only while the consumer asks for batches, so a slow store slows the read
// of the body down as the inline parser does.
import { startSiblingWorker } from '../runtime/start-worker.js';
import { reviveError, type SerializedError } from '../runtime/thread-error.js';
import { connectThread, type ThreadPort } from '../runtime/thread-port.js';
import { LineRow } from './row-bytes.js';
import type { ParsedBatch, RowParseOptions } from './parsed-batch.js';

/** The options the thread parses with (its `now` is NaN, which this side replaces). */
export type ThreadParseOptions = Omit<RowParseOptions, 'now'>;

export type ParseThreadRequest =
  | { type: 'open'; session: number; options: ThreadParseOptions }
  | { type: 'chunk'; session: number; chunk: Uint8Array }
  | { type: 'end'; session: number }
  | { type: 'drop'; session: number }
  /** A batch's buffer back, once the store has its rows: the thread packs a later batch into it. */
  | { type: 'free'; buffer: ArrayBuffer };

export type ParseThreadReply =
  | {
      type: 'batch';
      session: number;
      /** Body bytes the thread has consumed so far. */
      consumedBytes: number;
      /** Every row's UTF-8 bytes, end to end from its start; row i ends at ends[i]. */
      data: ArrayBuffer;
      ends: Uint32Array;
      hashes: string[];
      /** NaN: the row has no scraping time of its own. */
      scrapingTimesMs: Float64Array;
      columns: string[];
    }
  | { type: 'consumed'; session: number; consumedBytes: number }
  | { type: 'end'; session: number }
  | { type: 'error'; session: number; error: SerializedError };

/**
 * Body bytes sent to the thread and not parsed yet: four bench:delivery batches of ~760 KB,
 * enough for the thread to parse the next batches while the store writes one.
 */
export const MAX_UNPARSED_BYTES = 4 * 1024 * 1024;

export interface NdjsonParseThread {
  /** parseNdjsonRows(source, options), on the thread. */
  parse(source: AsyncIterable<Buffer | string>, options: RowParseOptions): AsyncGenerator<ParsedBatch>;
  /** Stops the thread; a later parse starts a new one. Safe to call twice. */
  close(): Promise<void>;
  /** Whether the thread is up (it starts with a parse and stops when idle). */
  readonly running: boolean;
}

type Reply = ParseThreadReply | { type: 'failed'; error: Error };

/** A session's replies in arrival order, and the one waiting for the next. */
interface Inbox {
  receive(reply: Reply): void;
  take(): Reply | undefined;
  arrival(): Promise<void>;
}

function createInbox(): Inbox {
  const replies: Reply[] = [];
  let wake: (() => void) | null = null;
  return {
    receive(reply) {
      replies.push(reply);
      wake?.();
      wake = null;
    },
    take: () => replies.shift(),
    arrival: () =>
      new Promise<void>((resolve) => {
        wake = resolve;
      }),
  };
}

/**
 * The thread stops once it has had no session for this long. Idle, it kept its heap and
 * allocations through the delivery that followed an ingest (1M-row bench:delivery on SQLite,
 * before batch buffers were reused: peak RSS of the delivery 316 MiB, 281 MiB with the stop).
 */
const IDLE_STOP_MS = 1000;

export function createNdjsonParseThread(): NdjsonParseThread {
  let worker: ThreadPort<ParseThreadRequest> | null = null;
  let nextSession = 1;
  const inboxes = new Map<number, Inbox>();
  let idleTimer: NodeJS.Timeout | null = null;
  const stopWhenIdle = (): void => {
    if (inboxes.size > 0 || worker === null) return;
    const idle = worker;
    if (idleTimer !== null) clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      idleTimer = null;
      if (worker !== idle || inboxes.size > 0) return;
      worker = null;
      void idle.terminate();
    }, IDLE_STOP_MS);
    idleTimer.unref();
  };

  const failAll = (error: Error): void => {
    worker = null;
    for (const inbox of inboxes.values()) inbox.receive({ type: 'failed', error });
  };
  const start = (): ThreadPort<ParseThreadRequest> => {
    if (idleTimer !== null) clearTimeout(idleTimer);
    idleTimer = null;
    if (worker !== null) return worker;
    const thread = startSiblingWorker(import.meta.url, 'ndjson-parse-thread');
    // Idle, the thread must not keep the process alive (a request in progress does anyway).
    thread.unref();
    const started = connectThread<ParseThreadRequest, ParseThreadReply>(thread, 'NDJSON parse thread', {
      onReply: (reply) => inboxes.get(reply.session)?.receive(reply),
      onFailure: (error) => {
        if (worker === started) failAll(error);
      },
    });
    worker = started;
    return started;
  };

  /** A released batch's buffer goes back to the thread that packed it, if it still runs. */
  const giveBack = (buffer: ArrayBuffer): void => {
    worker?.post({ type: 'free', buffer }, [buffer]);
  };

  async function* parse(source: AsyncIterable<Buffer | string>, options: RowParseOptions): AsyncGenerator<ParsedBatch> {
    const thread = start();
    const session = nextSession++;
    const inbox = createInbox();
    inboxes.set(session, inbox);
    const { maxRowBytes, batchRows, batchBytes, maxRowDepth } = options;
    thread.post({ type: 'open', session, options: { maxRowBytes, batchRows, batchBytes, maxRowDepth } });
    const body = source[Symbol.asyncIterator]();
    let bodyEnded = false;
    let sentBytes = 0;
    let consumedBytes = 0;
    let finished = false;
    try {
      for (;;) {
        const reply = inbox.take();
        if (reply !== undefined) {
          if (reply.type === 'failed') throw reply.error;
          if (reply.type === 'error') throw reviveError(reply.error, 'NDJSON parse thread');
          if (reply.type === 'end') {
            finished = true;
            return;
          }
          consumedBytes = reply.consumedBytes;
          if (reply.type === 'batch') yield unpackBatch(reply, options.now, giveBack);
          continue;
        }
        if (bodyEnded || sentBytes - consumedBytes >= MAX_UNPARSED_BYTES) {
          await inbox.arrival();
          continue;
        }
        // Replies that come meanwhile wait for the next chunk: a read in flight when this
        // generator stops would keep its listener on the body, which the route then drains.
        const next = await body.next();
        if (next.done === true) {
          bodyEnded = true;
          thread.post({ type: 'end', session });
          continue;
        }
        // A copy of its own (the socket's chunk may be a view of a larger buffer), transferred.
        const chunk = typeof next.value === 'string' ? new Uint8Array(Buffer.from(next.value, 'utf8')) : new Uint8Array(next.value);
        sentBytes += chunk.length;
        thread.post({ type: 'chunk', session, chunk }, [chunk.buffer]);
      }
    } finally {
      inboxes.delete(session);
      if (!finished) worker?.post({ type: 'drop', session });
      stopWhenIdle();
      // As a for-await over the body would: the route reads (drains) the rest after a failure.
      if (!bodyEnded) await body.return?.();
    }
  }

  return {
    parse,
    get running() {
      return worker !== null;
    },
    async close() {
      if (idleTimer !== null) clearTimeout(idleTimer);
      idleTimer = null;
      const stopping = worker;
      worker = null;
      if (stopping === null) return;
      for (const inbox of inboxes.values()) inbox.receive({ type: 'failed', error: new Error('the NDJSON parse thread was closed') });
      await stopping.terminate();
    },
  };
}

function unpackBatch(reply: Extract<ParseThreadReply, { type: 'batch' }>, now: () => number, giveBack: (buffer: ArrayBuffer) => void): ParsedBatch {
  const data = Buffer.from(reply.data);
  const { ends, hashes, scrapingTimesMs } = reply;
  let nowMs = Number.NaN;
  const rows = new Array<LineRow>(ends.length);
  let start = 0;
  for (let index = 0; index < ends.length; index++) {
    let scrapingTimeMs = scrapingTimesMs[index]!;
    if (Number.isNaN(scrapingTimeMs)) {
      if (Number.isNaN(nowMs)) nowMs = now();
      scrapingTimeMs = nowMs;
    }
    rows[index] = new LineRow(data.subarray(start, ends[index]), hashes[index]!, scrapingTimeMs);
    start = ends[index]!;
  }
  return { rows, columns: reply.columns, release: () => giveBack(reply.data) };
}
