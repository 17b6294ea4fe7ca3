// The export's worker thread: reads the run's batches through the store's thread reader (its
// own connection), encodes each with the format's encoder (formats/index.ts, by id) and packs
// the bytes, the header first, into slots
// (shared memory) filled to exactly `slotBytes` (the last one less), which it sends by number to
// threaded-export.ts; a slot comes back once read (a download) or once S3 has stored it as a
// part (a delivery's slots are its parts: the upload sends them without a copy). It waits for a
// slot when all are out, so memory stays `slotCount` slots whatever the run's size. Reading and
// encoding here leave the main thread the upload.
import { workerData } from 'node:worker_threads';
import { createGarbageCollector } from '../runtime/garbage-collector.js';
import { openParentPort } from '../runtime/thread-port.js';
import type { ResultTextsThreadModule } from '../storage/store.js';
// The CSV addon's memcpy into shared memory (see threaded-export.ts), for every format's bytes.
import { copyBytes } from './formats/csv/native-csv-records.js';
import { getOutputFormat } from './formats/index.js';
import type { ExportThreadData, ExportThreadMessage, ExportThreadRequest } from './threaded-export.js';

const data = workerData as ExportThreadData;
/** The slots made so far (at most data.slotCount, each data.slotBytes long), by number. */
const slots: Uint8Array[] = [];
const freeSlots: number[] = [];
let wake: (() => void) | null = null;
const port = openParentPort<ExportThreadRequest, ExportThreadMessage>('export-thread.ts', (request) => {
  freeSlots.push(request.free);
  wake?.();
  wake = null;
});

/** Batches between two scavenges of this thread's heap. */
const BATCHES_PER_COLLECTION = 4;

/*
 * A scavenge (young-generation collection) of this thread's heap, every 4 batches. The buffers
 * the store's reader hands over (the socket's chunks on PostgreSQL, each batch on SQLite) are
 * garbage at once, but V8 frees such memory only when a collection finds it dead, and a thread
 * that allocates few JS objects otherwise waits for ~64 MB of it and then runs a full
 * collection: measured on 1M-row PostgreSQL deliveries, peak RSS 292-345 MiB without these
 * scavenges, and a scavenge costs far less than the full collections (each marks the thread's
 * whole ~10 MB heap) that a full one every 8 batches cost: 3.4-3.5 s of upload vs 4.6 s.
 */

/** The store's reader module: TypeScript through tsx when the server runs from src/. */
async function importReaderModule(url: string): Promise<ResultTextsThreadModule> {
  if (!new URL(url).pathname.endsWith('.ts')) return (await import(url)) as ResultTextsThreadModule;
  const tsx = await import('tsx/esm/api');
  return (await tsx.tsImport(url, import.meta.url)) as ResultTextsThreadModule;
}

/**
 * The batches, the next one asked for before this one is handed out: a database that answers
 * over the network (PostgreSQL) reads it while this thread encodes.
 */
async function* readOneAhead<T>(items: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = items[Symbol.asyncIterator]();
  let next = iterator.next();
  for (;;) {
    const result = await next;
    if (result.done === true) return;
    next = iterator.next();
    // Settled when it is awaited above, or never if the export stops first; a failure of it
    // is reported there, not as an unhandled rejection in between.
    next.catch(() => undefined);
    yield result.value;
  }
}

/** A free slot's number; a new slot (sent with its first batch) while fewer than slotCount exist. */
async function takeFreeSlot(): Promise<number> {
  if (freeSlots.length === 0 && slots.length < data.slotCount) {
    slots.push(new Uint8Array(new SharedArrayBuffer(data.slotBytes)));
    return slots.length - 1;
  }
  while (freeSlots.length === 0) await new Promise<void>((resolve) => (wake = resolve));
  return freeSlots.shift()!;
}

/**
 * Packs records into slots: each is sent once it holds exactly data.slotBytes bytes, with the
 * rows whose last byte it holds; the last, shorter one at finish().
 */
function createSlotWriter() {
  let slotNumber: number | null = null;
  const sent = new Set<number>();
  let used = 0;
  let rows = 0;
  const send = (): void => {
    const message: ExportThreadMessage = { slot: slotNumber, byteLength: used, rowCount: rows };
    // A slot's memory goes once, with its first batch: a SharedArrayBuffer in each message
    // would be a new ArrayBuffer there each time, which is what the main thread's heap counts.
    if (slotNumber !== null && !sent.has(slotNumber)) {
      sent.add(slotNumber);
      message.shared = slots[slotNumber]!.buffer as SharedArrayBuffer;
    }
    port.reply(message);
    [slotNumber, used, rows] = [null, 0, 0];
  };
  return {
    async write(records: Buffer, rowCount: number): Promise<void> {
      for (let offset = 0; offset < records.length; ) {
        slotNumber ??= await takeFreeSlot();
        const slot = slots[slotNumber]!;
        const copied = copyBytes(slot, used, records, offset, Math.min(records.length, offset + slot.length - used), data.spec.nativeEncoders);
        used += copied;
        offset += copied;
        if (offset === records.length) rows += rowCount;
        if (used === slot.length) send();
      }
      if (records.length === 0) rows += rowCount;
    },
    finish(): void {
      if (slotNumber !== null || rows > 0) send();
    },
  };
}

async function exportRun(): Promise<void> {
  const encoder = getOutputFormat(data.formatId).createEncoder(data.spec);
  const collector = createGarbageCollector();
  const source = (await importReaderModule(data.source.moduleUrl)).openResultTexts(data.source.args);
  const slots = createSlotWriter();
  try {
    await slots.write(encoder.header(), 0);
    let batchNumber = 0;
    for await (const batch of readOneAhead(source.batches)) {
      await slots.write(encoder.encodeBatchView(batch.texts), batch.rowCount);
      batch.release?.();
      if (++batchNumber % BATCHES_PER_COLLECTION === 0) collector.young();
    }
    await slots.write(encoder.footer(), 0);
    slots.finish();
    port.reply({ end: true });
  } finally {
    await source.close();
  }
}

exportRun().catch((error: unknown) => port.fail(error));
