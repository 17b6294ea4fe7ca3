// The output formats, by id. A new format is a folder beside csv/ and one line here.
import { AppError } from '../../domain/app-error.js';
import type { OutputFormat } from '../format.js';
import { csvFormat } from './csv/csv-format.js';

const FORMATS: ReadonlyMap<string, OutputFormat> = new Map([[csvFormat.id, csvFormat]]);

/** What a run exports as when nothing names a format (Lobstr's exports are CSV). */
export const DEFAULT_FORMAT_ID = csvFormat.id;

export function getOutputFormat(id: string): OutputFormat {
  const format = FORMATS.get(id);
  if (format === undefined) throw new AppError('UnknownFormat', `no output format "${id}"`, { status: 400, param: 'file_format' });
  return format;
}

export function listOutputFormatIds(): string[] {
  return [...FORMATS.keys()];
}
