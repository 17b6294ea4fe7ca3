// CSV as an output format: the registry's entry for everything in this folder.
import type { OutputFormat } from '../../format.js';
import { createCsvBatchEncoder } from './csv-batch-encoder.js';

const NO_BYTES = Buffer.alloc(0);

export const csvFormat: OutputFormat = {
  id: 'csv',
  extension: 'csv',
  contentType: 'text/csv; charset=utf-8',
  createEncoder(spec) {
    const encoder = createCsvBatchEncoder(spec.columns, { noLineBreaks: spec.noLineBreaks, runId: spec.runId, native: spec.nativeEncoders });
    return { ...encoder, footer: () => NO_BYTES };
  },
};
