// A `COPY (...) TO STDOUT (FORMAT binary)` of one text column on a pg client, read as the
// store's batches (binary-copy-batches.ts). While the COPY streams, this reads the connection's
// socket itself (as pg-copy-streams does): it frames the CopyData messages and copies their
// bytes straight into the batch, so a row costs no message object, no Buffer and no second copy.
// Any other message (the end of the COPY, an error, a notice) and everything after it goes back
// to pg's own parser, which hands this query the rest: CopyData through handleCopyData, the
// outcome through handleCommandComplete / handleReadyForQuery / handleError.
import type { Duplex } from 'node:stream';
import type pg from 'pg';
import type { ResultTextBatch } from '../store.js';
import { createBinaryCopyBatches, type BinaryCopyBatches } from './binary-copy-batches.js';

/** Batches read and not yet taken before the socket is paused. */
const BATCHES_AHEAD = 2;

const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
const COPY_OUT_RESPONSE = 0x48; // 'H'
/** A message's code (1 byte) and length (int32, counting itself). */
const MESSAGE_HEADER_BYTES = 5;

/**
 * The COPY's rows, `batchSize` to a batch; fails with PostgreSQL's error if the COPY does. A
 * consumer that stops early leaves the COPY unfinished: it must close the client (pg's `end()`
 * then drops the connection, as it does for any query still running).
 */
export async function* copyOutBatches(client: pg.Client, copyStatement: string, batchSize: number): AsyncGenerator<ResultTextBatch> {
  const arrived: ResultTextBatch[] = [];
  let outcome: { error: Error } | 'done' | null = null;
  let wake: (() => void) | null = null;
  const copy = new BinaryCopyOut(copyStatement, batchSize, {
    batch(batch) {
      arrived.push(batch);
      if (arrived.length >= BATCHES_AHEAD) copy.pause();
      wake?.();
    },
    settle(result) {
      outcome ??= result;
      wake?.();
    },
  });
  client.query(copy);
  for (;;) {
    const batch = arrived.shift();
    if (batch !== undefined) {
      if (arrived.length < BATCHES_AHEAD) copy.resume();
      yield batch;
    } else if (outcome === 'done') return;
    else if (outcome !== null) throw (outcome as { error: Error }).error;
    else await new Promise<void>((resolve) => (wake = resolve));
  }
}

interface CopyOutListener {
  batch(batch: ResultTextBatch): void;
  /** Once: the COPY ended (after its last batch) or failed. */
  settle(result: { error: Error } | 'done'): void;
}

type DataListener = (chunk: Buffer) => void;

class BinaryCopyOut implements pg.Submittable {
  private readonly rows: BinaryCopyBatches;
  private stream: Duplex | null = null;
  private pgOnData: DataListener | null = null;
  /** A message header cut between two chunks, gathered here. */
  private readonly header = Buffer.alloc(MESSAGE_HEADER_BYTES);
  private headerBytes = 0;
  /** Bytes of the current CopyData message still to decode. */
  private copyDataLeft = 0;
  /** Bytes of the current CopyOutResponse or CopyDone message still to skip. */
  private skipLeft = 0;
  private paused = false;
  private rowsSeen = 0;
  private expectedRows: number | null = null;

  constructor(
    private readonly statement: string,
    batchSize: number,
    private readonly listener: CopyOutListener,
  ) {
    this.rows = createBinaryCopyBatches(batchSize, (batch) => {
      this.rowsSeen += batch.rowCount;
      listener.batch(batch);
    });
  }

  submit(connection: pg.Connection): void {
    const stream = connection.stream;
    const listeners = stream.listeners('data');
    if (listeners.length !== 1) throw new Error(`the connection's socket has ${listeners.length} data listeners where pg keeps 1`);
    this.stream = stream;
    this.pgOnData = listeners[0] as DataListener;
    stream.removeListener('data', this.pgOnData);
    stream.on('data', this.onData);
    connection.query(this.statement);
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.stream?.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.stream?.resume();
  }

  private readonly onData: DataListener = (chunk) => {
    try {
      this.frame(chunk);
    } catch (error) {
      this.giveUp(error);
    }
  };

  /** The COPY's bytes make no sense, or are not a COPY's: the connection is dropped (the thread then closes its client). */
  private giveUp(error: unknown): void {
    this.stream?.destroy();
    this.listener.settle({ error: error instanceof Error ? error : new Error(String(error)) });
  }

  /** Decodes CopyData, skips CopyOutResponse and CopyDone, and hands any other message back to pg. */
  private frame(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.copyDataLeft > 0) {
        const count = Math.min(this.copyDataLeft, chunk.length - at);
        this.rows.write(chunk, at, at + count);
        this.copyDataLeft -= count;
        at += count;
        continue;
      }
      if (this.skipLeft > 0) {
        const count = Math.min(this.skipLeft, chunk.length - at);
        this.skipLeft -= count;
        at += count;
        continue;
      }
      let code: number;
      let length: number;
      if (this.headerBytes === 0 && chunk.length - at >= MESSAGE_HEADER_BYTES) {
        code = chunk[at]!;
        length = chunk.readInt32BE(at + 1);
        at += MESSAGE_HEADER_BYTES;
        if (!this.takeMessage(code, length)) return this.handBack(chunk.subarray(at - MESSAGE_HEADER_BYTES));
      } else {
        const count = Math.min(MESSAGE_HEADER_BYTES - this.headerBytes, chunk.length - at);
        chunk.copy(this.header, this.headerBytes, at, at + count);
        this.headerBytes += count;
        at += count;
        if (this.headerBytes < MESSAGE_HEADER_BYTES) return;
        this.headerBytes = 0;
        code = this.header[0]!;
        length = this.header.readInt32BE(1);
        if (!this.takeMessage(code, length)) return this.handBack(Buffer.concat([this.header, chunk.subarray(at)]));
      }
    }
  }

  /** Starts reading a message this side decodes or skips; false for any other. */
  private takeMessage(code: number, length: number): boolean {
    if (code === COPY_DATA) this.copyDataLeft = length - 4;
    else if (code === COPY_OUT_RESPONSE || code === COPY_DONE) this.skipLeft = length - 4;
    else return false;
    return true;
  }

  /** pg's parser reads the connection again, starting with `rest` (which begins with a whole message's header). */
  private handBack(rest: Buffer): void {
    const stream = this.stream!;
    stream.removeListener('data', this.onData);
    stream.on('data', this.pgOnData!);
    this.pgOnData!(rest);
  }

  // pg calls these once the socket is its own again.

  handleCopyData(message: { chunk: Buffer }): void {
    try {
      this.rows.write(message.chunk, 0, message.chunk.length);
    } catch (error) {
      this.giveUp(error);
    }
  }

  handleCommandComplete(message: { text?: string }): void {
    const match = /^COPY (\d+)$/.exec(message.text ?? '');
    this.expectedRows = match === null ? null : Number(match[1]);
  }

  handleReadyForQuery(): void {
    try {
      this.rows.end();
      if (this.expectedRows !== this.rowsSeen) throw new Error(`the COPY reported ${this.expectedRows ?? 'no'} rows but sent ${this.rowsSeen}`);
      this.listener.settle('done');
    } catch (error) {
      this.listener.settle({ error: error instanceof Error ? error : new Error(String(error)) });
    }
  }

  // A statement that answers anything but a COPY TO STDOUT is not this reader's to read.
  handleRowDescription(): void {
    this.refuse('rows');
  }

  /** A refused statement's rows, which pg still parses from the chunk at hand. */
  handleDataRow(): void {}

  handleCopyInResponse(): void {
    this.refuse('a COPY FROM STDIN');
  }

  handleEmptyQuery(): void {
    this.refuse('nothing');
  }

  private refuse(what: string): void {
    this.giveUp(new Error(`the statement answered ${what} where a COPY TO STDOUT was expected`));
  }

  handleError(error: Error): void {
    this.resume();
    this.listener.settle({ error });
  }
}
