// A large export read and encoded on a worker thread (export-thread.ts): the thread opens
// the store's reader on a connection of its own (Store.planResultTextsThread), encodes each
// batch with the format's encoder (found by id in formats/index.ts) and packs the records into a few slots, which this side lends to the reader (for
// an S3 upload, each slot is a part) and hands back when they are released. So no batch costs
// this thread new memory: on the server's thread each 1M-row export used to allocate ~1.4 GB
// of batch buffers, for which V8 ran ~65 full collections of the server's heap (it collects
// for every few MB of new ArrayBuffer memory).
//
// The slots are SharedArrayBuffers, sent once; after that the messages carry slot numbers.
// Plain ArrayBuffers transferred back and forth were new ArrayBuffer memory on this side at
// every part: 25 mark-compacts of the main heap during a 1M-row delivery, ~30% of a core in
// V8's marking threads, none with shared slots (server CPU over the delivery 3.7-5.0 s -> 2.7 s,
// s3rver's 7.5-8.5 s -> 6.4-6.6 s). The thread copies into them with the addon's memcpy (V8's
// own copy into shared memory goes word by word, ~5% of its time); this side copies nothing.
import { startSiblingWorker } from '../runtime/start-worker.js';
import { connectThread } from '../runtime/thread-port.js';
import type { ResultTextsThreadPlan } from '../storage/store.js';
import type { EncoderSpec } from './format.js';

/** What the thread is started with. */
export interface ExportThreadData {
  /** The output format's id (formats/index.ts). */
  formatId: string;
  spec: EncoderSpec;
  source: ResultTextsThreadPlan;
  /** Slot buffers the thread makes; it waits for one to come back when all are out. */
  slotCount: number;
  /** Each slot is filled to exactly this many bytes (the header, rows and footer), the last one less. */
  slotBytes: number;
}

/**
 * From the thread: the file's next `byteLength` bytes, the start of slot number `slot` (null: no
 * bytes, only rows), with the number of rows whose last byte they hold; the slot's memory comes
 * with its first batch. Or the end. (A failure comes as the thread port's error.)
 */
export type ExportThreadMessage =
  | { slot: number | null; shared?: SharedArrayBuffer; byteLength: number; rowCount: number }
  | { end: true };

/** To the thread: a slot is free, to be written again. */
export interface ExportThreadRequest {
  free: number;
}

export interface EncodedBatch {
  /** A view of the slot: valid until the batch is freed (the thread then writes it again). */
  records: Buffer;
  /** Rows whose last byte is in `records`. */
  rowCount: number;
  /** The slot's number; null for a batch of no bytes. */
  slot: number | null;
}

export interface ThreadedExport {
  /** The next batch, in the store's order; null after the last. */
  next(): Promise<EncodedBatch | null>;
  /** The batch's slot goes back to the thread, which writes it again: its `records` must not be read after. */
  free(batch: EncodedBatch): void;
  /** Stops the thread (and its reads). Safe to call twice. */
  close(): Promise<void>;
}

export function startExportThread(options: ExportThreadData): ThreadedExport {
  const arrived: Array<EncodedBatch | null> = [];
  /** The thread's slots, shared memory, by number. */
  const slots: Buffer[] = [];
  let waiting: { resolve(batch: EncodedBatch | null): void; reject(error: Error): void } | null = null;
  let failure: Error | null = null;
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
  const port = connectThread<ExportThreadRequest, ExportThreadMessage>(startSiblingWorker(import.meta.url, 'export-thread', options), 'export thread', {
    onReply(message) {
      if ('end' in message) {
        port.expectExit();
        return deliver(null);
      }
      if (message.shared !== undefined) slots[message.slot!] = Buffer.from(message.shared);
      const records = message.slot === null ? Buffer.alloc(0) : slots[message.slot]!.subarray(0, message.byteLength);
      deliver({ records, rowCount: message.rowCount, slot: message.slot });
    },
    onFailure: fail,
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
      if (closing !== null || batch.slot === null) return;
      port.post({ free: batch.slot });
    },
    close() {
      closing ??= port.terminate();
      return closing;
    },
  };
}
