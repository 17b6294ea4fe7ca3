// The native byte path (native/*.c, built by node-gyp from binding.gyp into
// build/Release/squidship_csv.node): csv-record-writer.ts's job in C, about 5 times faster, for the
// rows it can write with exactly that file's bytes. It declines the others (numbers not in
// JSON.stringify's form, keys out of order or repeated, anything odd), and csv-batch-encoder.ts
// hands those to the JS paths. The addon is optional: when it is not built or does not load,
// loadCsvAddon() answers null and the JS paths encode every row.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { isWellFormed } from '../../../json/json-bytes.js';
import { takeWrittenBytes } from './written-bytes.js';

/** What src/export/formats/csv/native/addon.c exports. */
export interface CsvAddon {
  createEncoder(names: ReadonlyArray<string | null>, noLineBreaks: boolean): object;
  encodeRows(encoder: object, texts: Buffer, start: number, out: Buffer, outStart: number, cursor: Float64Array): number;
  /** Absent from a build made before it existed. */
  copyBytes?(target: Uint8Array, targetStart: number, source: Uint8Array, sourceStart: number, sourceEnd: number): number;
}

/** Where the native path stopped: a row it declined, for the JS paths, or the end of the batch. */
export interface NativeRowsStop {
  /** Records appended before the stop. */
  rows: number;
  /** The declined row's JSON text is texts[declinedStart, declinedEnd); -1 at the end of the batch. */
  declinedStart: number;
  declinedEnd: number;
}

/** Appends CSV records as UTF-8, like csv-record-writer.ts's CsvRecordBuffer, many rows per call. */
export interface NativeCsvRecords {
  /**
   * Appends the records of the rows of `texts` (each ending in LF, overwritten with 0 as the
   * JS path does) from `start` on, until the batch ends or a row the native path declines.
   */
  appendRows(texts: Buffer, start: number): NativeRowsStop;
  /** Appends bytes another path made. */
  appendBytes(bytes: Buffer): void;
  /** Appends text another path made, as UTF-8. */
  appendText(text: string): void;
  /** The bytes appended since the last takeChunk, in a Buffer no one else writes to. */
  takeChunk(): Buffer;
  /** The bytes appended since the last take, as a view valid only until the next append. */
  viewChunk(): Buffer;
}

// Four folders up from src/export/formats/csv/ (tests, tsx) and from dist/export/formats/csv/ alike: the checkout's root.
const ADDON_PATH = fileURLToPath(new URL('../../../../build/Release/squidship_csv.node', import.meta.url));
// addon.c's answers to encodeRows.
const STOP_END = 0;
const STOP_DECLINED = 1;
const STOP_ROOM = 2;
const INITIAL_OUT_BYTES = 256 * 1024;

let addon: CsvAddon | null | undefined;
let loadError: Error | null = null;

/** The addon, or null when it is not built or does not load: the JS paths then encode every row. */
export function loadCsvAddon(): CsvAddon | null {
  if (addon === undefined) addon = existsSync(ADDON_PATH) ? requireAddon() : null;
  return addon;
}

/** Why the built addon did not load; null when it loaded or is not built. */
export function getCsvAddonLoadError(): Error | null {
  loadCsvAddon();
  return loadError;
}

function requireAddon(): CsvAddon | null {
  try {
    return createRequire(import.meta.url)(ADDON_PATH) as CsvAddon;
  } catch (error) {
    // A build for another platform or Node-API version: recorded, and the JS paths take over.
    loadError = error instanceof Error ? error : new Error(String(error));
    return null;
  }
}

/**
 * Copies source[sourceStart, sourceEnd) into target from targetStart, as much as fits, and
 * returns the bytes copied. Into shared memory (the export thread's slots) V8's own copy goes
 * word by word, ~5% of the export thread's time; the addon's is a memcpy. Without the addon,
 * Buffer's copy does it.
 */
export function copyBytes(target: Uint8Array, targetStart: number, source: Buffer, sourceStart: number, sourceEnd: number, useAddon = true): number {
  const native = useAddon ? loadCsvAddon()?.copyBytes : undefined;
  if (native !== undefined) return native(target, targetStart, source, sourceStart, sourceEnd);
  return source.copy(target, targetStart, sourceStart, sourceEnd);
}

/** The native records of rows with these columns, or null when the addon is not there or cannot take them. */
export function createNativeCsvRecords(columns: readonly string[], options: { noLineBreaks: boolean }): NativeCsvRecords | null {
  const csvAddon = loadCsvAddon();
  // No columns: every row is an empty record, which the JS path writes. Repeated names: the JS
  // path's lookups would disagree on the column (a store's columns never repeat).
  if (csvAddon === null || columns.length === 0 || new Set(columns).size !== columns.length) return null;
  // As csv-record-writer.ts's keyTokens: a name JSON writes with escapes never matches a key in place.
  const names = columns.map((name) => (JSON.stringify(name) === `"${name}"` && isWellFormed(name) ? name : null));
  const encoder = csvAddon.createEncoder(names, options.noLineBreaks);
  const cursor = new Float64Array(4);
  let out = Buffer.allocUnsafe(INITIAL_OUT_BYTES);
  let w = 0;

  function ensure(bytes: number): void {
    if (w + bytes <= out.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, w + bytes));
    out.copy(bigger, 0, 0, w);
    out = bigger;
  }

  return {
    appendRows(texts, start) {
      let rows = 0;
      let from = start;
      for (;;) {
        const status = csvAddon.encodeRows(encoder, texts, from, out, w, cursor);
        from = cursor[0]!;
        w = cursor[1]!;
        rows += cursor[3]!;
        if (status === STOP_END) return { rows, declinedStart: -1, declinedEnd: -1 };
        if (status === STOP_DECLINED) return { rows, declinedStart: from, declinedEnd: cursor[2]! };
        if (status !== STOP_ROOM) throw new Error(`the native CSV encoder answered ${status}`);
        ensure(cursor[2]!);
      }
    },
    appendBytes(bytes) {
      ensure(bytes.length);
      w += bytes.copy(out, w);
    },
    appendText(text) {
      ensure(text.length * 3);
      w += out.write(text, w, 'utf8');
    },
    viewChunk() {
      const chunk = out.subarray(0, w);
      w = 0;
      return chunk;
    },
    takeChunk() {
      const { chunk, next } = takeWrittenBytes(out, w);
      out = next;
      w = 0;
      return chunk;
    },
  };
}
