// An already parsed `application/json` body (an array of objects) -> batches of rows, with the
// same checks as NDJSON lines; errors name the 1-based element as "item N".
import { AppError } from '../domain/app-error.js';
import { checkRowObject, createBatchBuilder, hashRowText, oversizeRowError, type ParsedBatch, type RowParseOptions } from './parsed-batch.js';

export type { ParsedBatch, RowParseOptions } from './parsed-batch.js';

/** Async like parseNdjsonRows, so that ingestResults takes either. */
export async function* parseJsonArrayRows(value: unknown, options: RowParseOptions): AsyncGenerator<ParsedBatch> {
  if (!Array.isArray(value)) {
    throw new AppError(
      'InvalidParameterValue',
      'the body must be a JSON array of objects (or send one object per line as application/x-ndjson)',
      { status: 400, param: 'body' },
    );
  }
  const builder = createBatchBuilder(options);
  for (let index = 0; index < value.length; index++) {
    const label = `item ${index + 1}`;
    const row = checkRowObject(value[index], label);
    const text = JSON.stringify(row);
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > options.maxRowBytes) throw oversizeRowError(label, options.maxRowBytes);
    builder.add(text, row, hashRowText(text), bytes);
    if (builder.isFull) yield builder.take();
  }
  if (builder.size > 0) yield builder.take();
}
