// Validation shared by both body formats and the batches they produce: every row must be a
// JSON object without Squidship's reserved keys and within the per-row size limit.
import * as crypto from 'node:crypto';
import { AppError } from '../domain/app-error.js';
import type { IngestRow } from '../storage/store.js';

export interface ParsedBatch {
  rows: IngestRow[];
  /** Keys first seen (in this request) in this batch, in first-seen order. */
  columns: string[];
  /**
   * Called once the store has the rows (or failed to take them): their bytes may be reused from
   * then on (the parse thread's batch buffers go back to it). Absent: nothing to give back.
   */
  release?: () => void;
}

export interface RowParseOptions {
  /** Largest row, in UTF-8 bytes of its JSON text. */
  maxRowBytes: number;
  /** A batch handed to the store closes once it holds this many rows... */
  batchRows: number;
  /**
   * ...or this many UTF-8 bytes of row text, whichever comes first (so a batch holds less than
   * batchBytes + maxRowBytes). Default DEFAULT_BATCH_BYTES.
   */
  batchBytes?: number;
  /** The scraping time of rows without a usable `scraping_time` of their own. */
  now: () => number;
  /** Most levels of nesting in a row (the row itself is level 1). Default DEFAULT_MAX_ROW_DEPTH. */
  maxRowDepth?: number;
}

/** SQUIDSHIP_MAX_ROW_DEPTH's default: deeper rows are refused (readers recurse over nesting). */
export const DEFAULT_MAX_ROW_DEPTH = 64;

/**
 * 4 MiB: a row count alone does not bound memory when rows may be up to maxRowBytes (1 MiB by
 * default) each (5,000 of them: 5 GiB), yet 4 MiB still holds 10,000 rows of 400 bytes, more
 * than the API's batches hold (run-results.ts), so typical rows never meet this cap.
 */
export const DEFAULT_BATCH_BYTES = 4 * 1024 * 1024;

/** Keys the API writes into every result it returns (id, object, squid, run). */
export const RESERVED_KEYS: readonly string[] = ['id', 'object', 'squid', 'run'];

/** A 400 about one row; `label` is "line 12" (NDJSON) or "item 3" (JSON array), 1-based. */
export function rowError(label: string, message: string): AppError {
  return new AppError('InvalidParameterValue', `${label}: ${message}`, { status: 400, param: label });
}

export function oversizeRowError(label: string, maxRowBytes: number): AppError {
  return rowError(label, `the row is longer than the limit of ${maxRowBytes} bytes per row`);
}

export function tooDeepRowError(label: string, maxRowDepth: number): AppError {
  return rowError(label, `the row is nested deeper than the limit of ${maxRowDepth} levels (SQUIDSHIP_MAX_ROW_DEPTH)`);
}

/** Checks that a parsed row is an object without reserved keys, and returns it. */
export function checkRowObject(value: unknown, label: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return rejectNonObject(value, label);
  }
  const row = value as Record<string, unknown>;
  for (const key of RESERVED_KEYS) {
    if (Object.hasOwn(row, key)) throw reservedKeyError(key, label);
  }
  return row;
}

/** Throws the 400 for a reserved key; `labelOf` makes the row's label only then. */
export function checkRowKey(key: string, labelOf: () => string): void {
  if (RESERVED_KEYS.includes(key)) throw reservedKeyError(key, labelOf());
}

function reservedKeyError(key: string, label: string): AppError {
  return rowError(
    label,
    `the key "${key}" is reserved: Squidship adds its own id, object, squid and run to each result. ` +
      `Rename it, e.g. to "item_${key}".`,
  );
}

function rejectNonObject(value: unknown, label: string): never {
  const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
  throw rowError(label, `expected a JSON object, got ${kind}`);
}

export interface BatchBuilder {
  /**
   * Adds a row checked from its parsed object: `row` the object (its keys become columns, its
   * scraping_time the row's), `text` its JSON text as stored, `rowHash` hashRowText of the text
   * (or of its UTF-8 bytes), `bytes` the text's UTF-8 length.
   */
  add(text: string, row: Record<string, unknown>, rowHash: string, bytes: number): void;
  /**
   * Adds a row whose keys the caller checked (checkRowKey) and tracks itself (addColumn): the
   * scanned path of NDJSON, which has no object.
   */
  addChecked(row: IngestRow, bytes: number): void;
  /** Records a column of the request, if new. */
  addColumn(key: string): void;
  readonly size: number;
  /** True once the batch has reached batchRows rows or batchBytes bytes: time to take it. */
  readonly isFull: boolean;
  /** The rows and new columns since the last take. */
  take(): ParsedBatch;
}

/** Cuts a body into rows (NDJSON lines, JSON array items) for a BatchBuilder, chunk by chunk. */
export interface RowSplitter {
  /** Reads from `chunk[start]`, handing over each row it completes; returns where it stopped. */
  push(chunk: Buffer, start: number): number;
  /** The body has ended: hands over or refuses what is left. */
  end(): void;
}

/** Feeds a body through a splitter into the builder, yielding each batch once it is full. */
export async function* splitIntoBatches(source: AsyncIterable<Buffer | string>, builder: BatchBuilder, splitter: RowSplitter): AsyncGenerator<ParsedBatch> {
  for await (const piece of source) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
    let start = 0;
    while (start < chunk.length) {
      start = splitter.push(chunk, start);
      if (builder.isFull) yield builder.take();
    }
  }
  splitter.end();
  if (builder.size > 0) yield builder.take();
}

/** Collects rows into batches and tracks the request's columns with one Set. */
export function createBatchBuilder(options: RowParseOptions): BatchBuilder {
  const { now, batchRows } = options;
  const batchBytes = options.batchBytes ?? DEFAULT_BATCH_BYTES;
  const seen = new Set<string>();
  let rows: IngestRow[] = [];
  let columns: string[] = [];
  let bytesSoFar = 0;
  const addColumn = (key: string): void => {
    if (!seen.has(key)) {
      seen.add(key);
      columns.push(key);
    }
  };
  return {
    add(text, row, rowHash, bytes) {
      for (const key in row) addColumn(key);
      rows.push({ data: text, rowHash, scrapingTimeMs: readScrapingTimeMs(row.scraping_time, now) });
      bytesSoFar += bytes;
    },
    addChecked(row, bytes) {
      rows.push(row);
      bytesSoFar += bytes;
    },
    addColumn,
    get size() {
      return rows.length;
    },
    get isFull() {
      return rows.length >= batchRows || bytesSoFar >= batchBytes;
    },
    take() {
      const batch = { rows, columns };
      rows = [];
      columns = [];
      bytesSoFar = 0;
      return batch;
    },
  };
}

/**
 * A row's hash: SHA-1 (40 hex) of its JSON text, given as the text or as its UTF-8 bytes (the
 * same hash, and the bytes skip re-encoding the text: half the cost). SHA-1 is fast, and
 * collisions are irrelevant for telling one run's rows apart. crypto.hash (Node >= 20.12)
 * skips the Hash object, which costs as much as the hashing.
 */
export const hashRowText: (text: string | Uint8Array) => string =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha1', text, 'hex')
    : (text) => crypto.createHash('sha1').update(text).digest('hex');

/** A row's own `scraping_time` when it is a date string, else now. */
export function readScrapingTimeMs(value: unknown, now: () => number): number {
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  return now();
}
