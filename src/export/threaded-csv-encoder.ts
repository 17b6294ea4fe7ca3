// CSV encoding of a large export on a worker thread (csv-encode-thread.ts), so that it runs
// beside the main thread's store reads and upload instead of after them: a 1M-row export spent
// about 3 s of CPU encoding and 2 s reading and uploading, all on the main thread. Batches go
// over and come back as transferred ArrayBuffers (no copies) and are answered in order.
import { Worker } from 'node:worker_threads';

/** What the thread is started with. */
export interface EncodeThreadData {
  columns: readonly string[];
  noLineBreaks: boolean;
  runId: string;
}

/** A batch as Store.streamRunResultTexts gives it. */
export interface EncodeRequest {
  texts: ArrayBuffer;
}

/** The batch's records are the first `byteLength` bytes of `records`. */
export type EncodeReply = { records: ArrayBuffer; byteLength: number } | { error: string };

export interface ThreadedCsvEncoder {
  /** Gives `texts` up to the thread; resolves to the batch's CSV records. Answers come in order. */
  encode(texts: Buffer): Promise<Buffer>;
  /** Stops the thread; batches still pending reject. Safe to call twice. */
  close(): Promise<void>;
}

export function startThreadedCsvEncoder(data: EncodeThreadData): ThreadedCsvEncoder {
  const worker = createEncodeWorker(data);
  const waiting: Array<{ resolve(records: Buffer): void; reject(error: Error): void }> = [];
  let failure: Error | null = null;
  let closing: Promise<void> | null = null;

  const fail = (error: Error): void => {
    failure ??= error;
    for (const pending of waiting.splice(0)) pending.reject(failure);
  };
  worker.on('message', (reply: EncodeReply) => {
    const pending = waiting.shift();
    if (pending === undefined) return fail(new Error('the CSV encoding thread answered a batch that was not sent'));
    if ('error' in reply) pending.reject(new Error(reply.error));
    else pending.resolve(Buffer.from(reply.records, 0, reply.byteLength));
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the CSV encoding thread stopped (exit code ${code})`)));

  return {
    encode(texts) {
      if (failure !== null) return Promise.reject(failure);
      const request: EncodeRequest = { texts: toTransferable(texts) };
      return new Promise<Buffer>((resolve, reject) => {
        waiting.push({ resolve, reject });
        worker.postMessage(request, [request.texts]);
      });
    },
    close() {
      closing ??= worker.terminate().then(() => undefined);
      return closing;
    },
  };
}

/**
 * An ArrayBuffer that starts with `bytes` and can be transferred (detached here) without
 * touching any other Buffer: `bytes`' own when they start it and it is not Node's pool of small
 * Buffers (exactly Buffer.poolSize bytes, shared by many), else a copy. The caller gives `bytes`
 * up: they are unusable once the ArrayBuffer is transferred.
 */
export function toTransferable(bytes: Buffer): ArrayBuffer {
  const { buffer } = bytes;
  if (buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && buffer.byteLength > Buffer.poolSize) return buffer;
  const own = new ArrayBuffer(bytes.length);
  new Uint8Array(own).set(bytes);
  return own;
}

function createEncodeWorker(data: EncodeThreadData): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./csv-encode-thread.js', here), { workerData: data });
  // Running from src/ (tests, benchmarks with --source): the thread loads its TypeScript through tsx.
  const thread = JSON.stringify(new URL('./csv-encode-thread.ts', here).href);
  return new Worker(`import('tsx/esm/api').then((tsx) => tsx.tsImport(${thread}, ${thread}))`, { eval: true, workerData: data });
}
