// A large export read and encoded on a worker thread (run-export-thread.ts): the thread opens
// the store's reader on a connection of its own (Store.planResultTextsThread), encodes each
// batch to CSV and packs the records into a few slot buffers, which it transfers here (no copy);
// this side lends them to the reader (for an S3 upload, each slot is a part) and transfers each
// back when it is released. So no batch costs this thread new memory: on the server's
// thread each 1M-row export used to allocate ~1.4 GB of batch buffers, for which V8 ran ~65
// full collections of the server's heap (it collects for every few MB of new ArrayBuffer
// memory). The slots are plain ArrayBuffers, not shared memory: V8 copies to and from a
// SharedArrayBuffer word by word (its relaxed-atomic memmove), ~30% of this thread's CPU
// during an upload, where a plain buffer is copied by libc's memmove.
import { Worker } from 'node:worker_threads';
import type { ResultTextsThreadPlan } from '../storage/store.js';

/** What the thread is started with. */
export interface RunExportThreadData {
  columns: readonly string[];
  noLineBreaks: boolean;
  runId: string;
  source: ResultTextsThreadPlan;
  /** Slot buffers the thread makes; it waits for one to come back when all are out. */
  slotCount: number;
  /** Each slot is filled to exactly this many bytes (the header and records), the last one less. */
  slotBytes: number;
}

/**
 * From the thread: the CSV's next `byteLength` bytes, the start of `buffer` (transferred), with
 * the number of rows whose last byte they hold; or the end; or a failure.
 */
export type RunExportMessage =
  | { buffer: ArrayBuffer; byteLength: number; rowCount: number }
  | { end: true }
  | { error: string };

/** To the thread: a slot buffer back (transferred), to be written again. */
export interface RunExportRequest {
  free: ArrayBuffer;
}

export interface EncodedBatch {
  /** A view of the slot buffer: valid until the batch is freed. */
  records: Buffer;
  /** Rows whose last byte is in `records`. */
  rowCount: number;
}

export interface ThreadedRunExport {
  /** The next batch, in the store's order; null after the last. */
  next(): Promise<EncodedBatch | null>;
  /** The batch's slot goes back to the thread: its `records` are empty from then on. */
  free(batch: EncodedBatch): void;
  /** Stops the thread (and its reads). Safe to call twice. */
  close(): Promise<void>;
}

export function startThreadedRunExport(options: RunExportThreadData): ThreadedRunExport {
  const worker = createExportWorker(options);
  const arrived: Array<EncodedBatch | null> = [];
  let waiting: { resolve(batch: EncodedBatch | null): void; reject(error: Error): void } | null = null;
  let failure: Error | null = null;
  let ended = false;
  let closing: Promise<void> | null = null;

  const fail = (error: Error): void => {
    failure ??= error;
    waiting?.reject(failure);
    waiting = null;
  };
  const deliver = (batch: EncodedBatch | null): void => {
    if (waiting === null) arrived.push(batch);
    else {
      waiting.resolve(batch);
      waiting = null;
    }
  };
  worker.on('message', (message: RunExportMessage) => {
    if ('error' in message) return fail(new Error(message.error));
    if ('end' in message) {
      ended = true;
      return deliver(null);
    }
    deliver({ records: Buffer.from(message.buffer, 0, message.byteLength), rowCount: message.rowCount });
  });
  worker.on('error', fail);
  worker.on('exit', (code) => {
    if (!ended) fail(new Error(`the export thread stopped (exit code ${code})`));
  });

  return {
    next() {
      if (arrived.length > 0) return Promise.resolve(arrived.shift()!);
      if (failure !== null) return Promise.reject(failure);
      return new Promise<EncodedBatch | null>((resolve, reject) => {
        waiting = { resolve, reject };
      });
    },
    free(batch) {
      // A chunk released after the export closed (an upload that failed) has nowhere to go.
      if (closing !== null) return;
      const buffer = batch.records.buffer as ArrayBuffer;
      const request: RunExportRequest = { free: buffer };
      worker.postMessage(request, [buffer]);
    },
    close() {
      closing ??= worker.terminate().then(() => undefined);
      return closing;
    },
  };
}

function createExportWorker(data: RunExportThreadData): Worker {
  const here = import.meta.url;
  if (!new URL(here).pathname.endsWith('.ts')) return new Worker(new URL('./run-export-thread.js', here), { workerData: data });
  // Running from src/ (tests, benchmarks with --source): the thread loads its TypeScript through tsx.
  const thread = JSON.stringify(new URL('./run-export-thread.ts', here).href);
  return new Worker(`import('tsx/esm/api').then((tsx) => tsx.tsImport(${thread}, ${thread}))`, { eval: true, workerData: data });
}
