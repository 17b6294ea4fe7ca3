// A `text/csv` results body as NDJSON bytes, converted record by record as it streams in, for
// the NDJSON row parser behind it: the header row gives the keys, every value stays a string
// (CSV has no types, and guessing would corrupt ids and zip codes), as `squidship push` does.
import { pipeline, Readable } from 'node:stream';
import { CsvError, parse as parseCsv } from 'csv-parse';
import { badRequest } from '../domain/app-error.js';

/** Converted lines are handed on in chunks of about this size. */
const CHUNK_BYTES = 256 * 1024;

/** A CSV syntax error is the sender's: 400 naming the record, like a bad NDJSON line. */
function toIngestError(error: unknown): unknown {
  if (!(error instanceof CsvError)) return error;
  return badRequest('InvalidParameterValue', `The CSV body is not valid: ${error.message}`, 'body');
}

export async function* convertCsvToNdjson(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let failure: unknown = null;
  // bom: Excel writes one. relax_column_count stays off: a short or long record is an error.
  const parser = parseCsv({ columns: true, bom: true, skip_empty_lines: true });
  // The callback form records the first error of any stream (each is destroyed with it); the
  // loop below ends on it and it is rethrown, converted.
  const records = pipeline(Readable.from(chunks), parser, (error) => {
    if (error) failure = error;
  });
  let lines: string[] = [];
  let size = 0;
  try {
    for await (const record of records as AsyncIterable<Record<string, string>>) {
      const line = JSON.stringify(record) + '\n';
      lines.push(line);
      size += line.length;
      if (size >= CHUNK_BYTES) {
        yield Buffer.from(lines.join(''), 'utf8');
        lines = [];
        size = 0;
      }
    }
  } catch (error) {
    throw toIngestError(error);
  }
  if (failure !== null) throw toIngestError(failure);
  if (lines.length > 0) yield Buffer.from(lines.join(''), 'utf8');
}
