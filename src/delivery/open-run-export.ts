// The bytes of a run's export for one attempt, as AttemptContext.openExport gives them to a
// channel. Today the CSV of createRunCsvChunks; the export pipeline replaces it (formats).
import type { ExportRequest, ExportStream } from '../channels/channel.js';
import type { Run, Squid } from '../domain/types.js';
import { createRunCsvChunks } from '../export/run-csv-stream.js';
import type { Store } from '../storage/store.js';

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';

export function openRunExport(store: Store, run: Run, squid: Squid, request: ExportRequest): ExportStream {
  const { lent, stats } = createRunCsvChunks(store, run, squid, { chunkBytes: request.chunkBytes, chunksHeld: request.chunksHeld });
  return { lent, contentType: CSV_CONTENT_TYPE, extension: 'csv', stats: () => ({ rows: stats.rows, bytes: stats.bytes }) };
}
