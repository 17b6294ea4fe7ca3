// A large export read and encoded on a worker thread (run-export-thread.ts): the thread opens
// the store's reader on a connection of its own (Store.planResultTextsThread) and encodes each
// batch to CSV into one of a few slots of shared memory, which this side reads in place and
// hands back. So no batch costs this thread new memory: on the server's thread each 1M-row
// export used to allocate ~1.4 GB of batch buffers, for which V8 ran ~65 full collections of
// the server's heap (it collects for every few MB of new ArrayBuffer memory).
import { Worker } from 'node:worker_threads';
import type { ResultTextsThreadPlan } from '../storage/store.js';

/** What the thread is started with. */
export interface RunExportThreadData {
  columns: readonly string[];
  noLineBreaks: boolean;
  runId: string;
  source: ResultTextsThreadPlan;
  /** Slots of shared memory the thread writes batches into (it waits for a free one). */
  slots: SharedArrayBuffer[];
}

/**
 * From the thread: a batch's records are the first `byteLength` bytes of slot `slot` (`grown`:
 * the slot's new, larger memory, replacing the old one on both sides); or the end; or a failure.
 */
export type RunExportMessage =
  | { slot: number; byteLength: number; rowCount: number; grown?: SharedArrayBuffer }
  | { end: true }
  | { error: string };

/** To the thread: slot `free` may be written again. */
export interface RunExportRequest {
  free: number;
}

export interface EncodedBatch {
  /** A view of the batch's slot: valid until the slot is freed. */
  records: Buffer;
  rowCount: number;
  slot: number;
}

export interface ThreadedRunExport {
  /** The next batch, in the store's order; null after the last. */
  next(): Promise<EncodedBatch | null>;
  /** The thread may write the batch's slot again: its `records` must not be read from then on. */
  free(batch: EncodedBatch): void;
  /** Stops the thread (and its reads). Safe to call twice. */
  close(): Promise<void>;
}

/** Slots to start with: 1 MiB holds a batch of 1,000 rows of ~760 B; a larger batch grows its slot. */
const SLOT_BYTES = 1024 * 1024;

export function startThreadedRunExport(options: Omit<RunExportThreadData, 'slots'> & { slotCount: number }): ThreadedRunExport {
  const { slotCount, ...rest } = options;
  const slots = Array.from({ length: slotCount }, () => new SharedArrayBuffer(SLOT_BYTES));
  const worker = createExportWorker({ ...rest, slots });
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
    if (message.grown !== undefined) slots[message.slot] = message.grown;
    const records = Buffer.from(slots[message.slot]!, 0, message.byteLength);
    deliver({ records, rowCount: message.rowCount, slot: message.slot });
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
      const request: RunExportRequest = { free: batch.slot };
      worker.postMessage(request);
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
