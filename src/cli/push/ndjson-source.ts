// Turns a results file into a stream of NDJSON bytes, without ever holding the file whole:
// .ndjson/.jsonl pass through as read; .json (one top-level array) and .csv (header row = keys,
// values as strings) are converted element by element.
import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import { pipeline, Transform, type Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import StreamArray from 'stream-json/streamers/StreamArray.js';

export type ResultsFileFormat = 'ndjson' | 'json' | 'csv';

const FORMATS_BY_EXTENSION: Record<string, ResultsFileFormat> = {
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
  '.json': 'json',
  '.csv': 'csv',
};

/** Large reads keep the per-chunk overhead low on multi-GB files. */
const READ_CHUNK_BYTES = 1024 * 1024;
/** Converted lines are gathered into chunks of about this size before they are sent. */
const CONVERTED_CHUNK_BYTES = 256 * 1024;

/** null when the extension is not one push understands. */
export function detectResultsFileFormat(path: string): ResultsFileFormat | null {
  return FORMATS_BY_EXTENSION[extname(path).toLowerCase()] ?? null;
}

/** `onRead` hears the size of each chunk read from the file (the progress bar's numerator). */
export function readNdjsonChunks(path: string, format: ResultsFileFormat, onRead: (bytes: number) => void = () => undefined): AsyncIterable<Buffer> {
  switch (format) {
    case 'ndjson':
      return countChunks(createReadStream(path, { highWaterMark: READ_CHUNK_BYTES }), onRead);
    case 'json':
      return convertToNdjson(path, onRead, () => StreamArray.withParser(), (item) => (item as { value: unknown }).value);
    case 'csv':
      // bom: Excel writes one. Values stay strings: CSV has no types, and guessing would corrupt ids.
      return convertToNdjson(path, onRead, () => parseCsv({ columns: true, bom: true, skip_empty_lines: true }), (row) => row);
  }
}

async function* countChunks(source: AsyncIterable<Buffer>, onRead: (bytes: number) => void): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    onRead(chunk.length);
    yield chunk;
  }
}

function createReadCounter(onRead: (bytes: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onRead(chunk.length);
      callback(null, chunk);
    },
  });
}

/**
 * Reads `path` through the parsing transform and yields the produced values as NDJSON lines, gathered
 * into chunks. A parse error ends the iteration with that error.
 */
async function* convertToNdjson(
  path: string,
  onRead: (bytes: number) => void,
  createTransform: () => NodeJS.ReadWriteStream,
  toRow: (item: unknown) => unknown,
): AsyncGenerator<Buffer> {
  let failure: Error | null = null;
  // The callback form of pipeline returns the last stream to read from, and destroys every
  // stream with the first error; that error is recorded here and rethrown below.
  const items = pipeline(createReadStream(path, { highWaterMark: READ_CHUNK_BYTES }), createReadCounter(onRead), createTransform(), (error) => {
    if (error) failure = error;
  }) as unknown as Readable;
  let lines: string[] = [];
  let size = 0;
  for await (const item of items) {
    const line = JSON.stringify(toRow(item)) + '\n';
    lines.push(line);
    size += line.length;
    if (size >= CONVERTED_CHUNK_BYTES) {
      yield Buffer.from(lines.join(''), 'utf8');
      lines = [];
      size = 0;
    }
  }
  if (failure !== null) throw failure;
  if (lines.length > 0) yield Buffer.from(lines.join(''), 'utf8');
}
