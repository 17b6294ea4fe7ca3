// The data of a `COPY (<select of one text column>) TO STDOUT (FORMAT binary)`, as PostgreSQL
// documents it (COPY, "Binary Format"): a header (signature, flags, extension), then per row a
// field count (1), the field's byte length and its bytes, then a field count of -1. This turns
// those bytes, cut anywhere by the protocol and the network, into the store's batches: each row's
// text followed by LF, copied once into the batch, whose buffer comes back for a later batch when
// the consumer releases it. Binary, because PostgreSQL then sends a text's bytes as stored: in
// CSV or text format it scans (and escapes) every byte, ~2.5x its CPU.
import type { ResultTextBatch } from '../store.js';

export interface BinaryCopyBatches {
  /**
   * Decodes `bytes[start, end)`, the next bytes of the COPY's data, up to the end of the first
   * batch it completes (which goes to `onBatch`), and returns where it stopped: `end` when every
   * byte is decoded. The caller passes the rest in again once it has handed that batch on, so
   * the batches decoded ahead of the consumer do not grow with the size of the network's chunks.
   */
  write(bytes: Buffer, start: number, end: number): number;
  /** The data ended: hands out the last batch (fewer rows), if any. Throws when the data stopped before the trailer. */
  end(): void;
}

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** Signature, flags (int32), header extension length (int32). */
const HEADER_BYTES = SIGNATURE.length + 8;
/** Flags bit 16: every row carries an OID, which this reader never asks for. */
const FLAG_HAS_OIDS = 1 << 16;
const LF = 10;
/** The first batch's buffer; a batch that needs more grows it, and later batches start at that size. */
const INITIAL_BATCH_BYTES = 1024 * 1024;
/** Released buffers kept for later batches; the consumer holds a few batches at a time. */
const SPARE_BUFFERS = 8;

type State = 'header' | 'extension' | 'fieldCount' | 'fieldLength' | 'fieldData' | 'trailer';

/** The size of the fixed-size item each state reads. */
const FIXED_BYTES: Partial<Record<State, number>> = { header: HEADER_BYTES, fieldCount: 2, fieldLength: 4 };

export function createBinaryCopyBatches(batchSize: number, onBatch: (batch: ResultTextBatch) => void): BinaryCopyBatches {
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, not ${batchSize}`);
  let state: State = 'header';
  /** A fixed-size item cut between two writes, gathered here. */
  const gathered = Buffer.alloc(HEADER_BYTES);
  let gatheredBytes = 0;
  /** Bytes of the extension to skip, or of the current row still to copy. */
  let remaining = 0;
  let batch: Buffer = Buffer.allocUnsafeSlow(INITIAL_BATCH_BYTES);
  let used = 0;
  let rowCount = 0;
  /** Released batch buffers of the current size, for the next batches. */
  const spare: Buffer[] = [];

  /** Hands out the batch; unless it is the last, the next one starts in a spare buffer. */
  const handOut = (last: boolean): void => {
    const buffer = batch;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      // A buffer smaller than the current batches' (grown since) is left to the GC.
      if (buffer.length === batch.length && spare.length < SPARE_BUFFERS) spare.push(buffer);
    };
    const texts = buffer.subarray(0, used);
    if (!last) batch = spare.pop() ?? Buffer.allocUnsafeSlow(buffer.length);
    used = 0;
    onBatch({ rowCount, texts, release });
    rowCount = 0;
  };
  /** True when the row completed a batch (handed out). */
  const endRow = (): boolean => {
    batch[used++] = LF;
    state = 'fieldCount';
    if (++rowCount < batchSize) return false;
    handOut(false);
    return true;
  };
  /** Room for `bytes` more in the batch (a row's text and its LF). */
  const reserve = (bytes: number): void => {
    if (used + bytes <= batch.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(batch.length * 2, used + bytes));
    batch.copy(grown, 0, 0, used);
    batch = grown;
    spare.length = 0;
  };

  /** Reads the fixed-size item of the current state, whole, at `bytes[at]`; true when it completed a batch. */
  const readFixed = (bytes: Buffer, at: number): boolean => {
    switch (state) {
      case 'header': {
        if (!bytes.subarray(at, at + SIGNATURE.length).equals(SIGNATURE)) throw new Error('the COPY data does not start with the binary COPY signature');
        if ((bytes.readInt32BE(at + SIGNATURE.length) & FLAG_HAS_OIDS) !== 0) throw new Error('the COPY data carries OIDs, which were not asked for');
        remaining = bytes.readInt32BE(at + SIGNATURE.length + 4);
        state = remaining > 0 ? 'extension' : 'fieldCount';
        return false;
      }
      case 'fieldCount': {
        const fields = bytes.readInt16BE(at);
        if (fields === -1) state = 'trailer';
        else if (fields === 1) state = 'fieldLength';
        else throw new Error(`a COPY row has ${fields} fields where 1 was asked for`);
        return false;
      }
      case 'fieldLength': {
        const length = bytes.readInt32BE(at);
        if (length < 0) throw new Error('a COPY row holds NULL where a text was asked for');
        reserve(length + 1);
        remaining = length;
        if (length === 0) return endRow();
        state = 'fieldData';
        return false;
      }
      default:
        throw new Error(`no fixed-size item in state ${state}`);
    }
  };

  return {
    write(bytes, start, end) {
      let at = start;
      while (at < end) {
        if (state === 'fieldData') {
          const count = Math.min(remaining, end - at);
          bytes.copy(batch, used, at, at + count);
          used += count;
          at += count;
          remaining -= count;
          if (remaining === 0 && endRow()) return at;
        } else if (state === 'extension') {
          const count = Math.min(remaining, end - at);
          at += count;
          remaining -= count;
          if (remaining === 0) state = 'fieldCount';
        } else if (state === 'trailer') {
          throw new Error('the COPY data goes on after its trailer');
        } else {
          const size = FIXED_BYTES[state]!;
          if (gatheredBytes === 0 && end - at >= size) {
            at += size;
            if (readFixed(bytes, at - size)) return at;
            continue;
          }
          const count = Math.min(size - gatheredBytes, end - at);
          bytes.copy(gathered, gatheredBytes, at, at + count);
          gatheredBytes += count;
          at += count;
          if (gatheredBytes < size) return at;
          gatheredBytes = 0;
          if (readFixed(gathered, 0)) return at;
        }
      }
      return at;
    },
    end() {
      if (state !== 'trailer') throw new Error('the COPY data ended before its trailer');
      if (rowCount > 0) handOut(true);
    },
  };
}
