// POST /v1/runs/{id}/results (our extension): a scraper appends rows to a running run, as a JSON
// array, as NDJSON or as CSV. All are streamed from the socket into store batches, never held whole;
// the request is atomic (one bad line and nothing of it is stored).
import { Readable } from 'node:stream';
import { errorCodes, type FastifyPluginAsync, type FastifyRequest } from 'fastify';
import { AppError } from '../../domain/app-error.js';
import { convertCsvToNdjson } from '../../ingest/csv-ndjson.js';
import { ingestResults } from '../../ingest/ingest-results.js';
import { parseJsonArrayRows } from '../../ingest/json-rows.js';
import { parseNdjsonRows, type ParsedBatch, type RowParseOptions } from '../../ingest/ndjson-rows.js';
import { DEFAULT_BATCH_BYTES } from '../../ingest/parsed-batch.js';
import { createNdjsonParseThread, type NdjsonParseThread } from '../../ingest/threaded-ndjson-rows.js';
import { capRunRows, createPushSlots } from '../account-caps.js';
import type { AppDeps } from '../app-deps.js';
import { requireAccount } from '../auth.js';
import { findCharsetError, NDJSON_CONTENT_TYPE } from '../body-parsers.js';
import { errorResponses, idParamsSchema, markExtension, runSchema, type IdParams } from '../schemas.js';
import { serializeRun } from '../serialize.js';
import { runNotFound } from './runs.js';

/**
 * Rows per store batch; a batch also closes at DEFAULT_BATCH_BYTES, which bounds memory.
 * Measured with bench/storage-ingest-http.ts: on PostgreSQL 5,000 rows (fewer transactions,
 * each with its own commit flush) ingested about 10% faster than 1,000, and 10,000 no faster
 * than 5,000. SQLite gained little from bigger batches, and there each one holds the single
 * write lock and blocks the event loop (better-sqlite3 is synchronous) for its whole insert.
 */
const INGEST_BATCH_ROWS = { postgres: 5000, sqlite: 1000 } as const;

const CSV_CONTENT_TYPE = 'text/csv';

function readMediaType(request: FastifyRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * Reads the rest of an unread body and discards it, so that the client, still uploading, reads
 * our error answer on an intact connection instead of a reset.
 */
async function discardRest(stream: Readable): Promise<void> {
  if (stream.destroyed || stream.readableEnded) return;
  await new Promise<void>((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
    stream.resume();
  });
}

/**
 * NDJSON bodies from this size on (and streamed ones, of unknown size) are parsed on the parse
 * thread; smaller ones here, where a few rows cost less than the thread's round trips.
 */
const PARSE_ON_THREAD_MIN_BYTES = 256 * 1024;

/** The body's chunks, failing with Fastify's 413 once they pass `maxBytes`. */
async function* limitBodyBytes(chunks: AsyncIterable<Buffer>, maxBytes: number): AsyncGenerator<Buffer> {
  let receivedBytes = 0;
  for await (const chunk of chunks) {
    receivedBytes += chunk.length;
    if (receivedBytes > maxBytes) throw new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE();
    yield chunk;
  }
}

function readBatches(request: FastifyRequest, options: RowParseOptions, parseThread: NdjsonParseThread, maxBodyBytes: number): AsyncIterable<ParsedBatch> {
  // No body at all (no Content-Length) reads as an empty one.
  const stream = request.body instanceof Readable ? request.body : Readable.from([]);
  // destroyOnReturn false: a bad line must not destroy the socket we still answer on.
  const chunks = stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>;
  const declaredBytes = Number(request.headers['content-length'] ?? Number.NaN);
  const mediaType = readMediaType(request);
  if (mediaType === CSV_CONTENT_TYPE) return parseThread.parse(convertCsvToNdjson(chunks), options);
  if (mediaType !== NDJSON_CONTENT_TYPE) {
    if (declaredBytes > maxBodyBytes) throw new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE();
    return parseJsonArrayRows(limitBodyBytes(chunks, maxBodyBytes), options);
  }
  if (declaredBytes < PARSE_ON_THREAD_MIN_BYTES) return parseNdjsonRows(chunks, options);
  return parseThread.parse(chunks, options);
}

// No route bodyLimit: Fastify applies body limits only to buffered parsers. The NDJSON stream has
// no total limit (each row has maxRowBytes); a JSON array keeps SQUIDSHIP_MAX_BODY_BYTES, counted here.
export function createRunResultRoutes(deps: AppDeps): FastifyPluginAsync {
  const { store, clock, config } = deps;
  const batchRows = INGEST_BATCH_ROWS[config.databaseUrl === null ? 'sqlite' : 'postgres'];
  return async (app) => {
    // Started by the first big NDJSON body; stopped with the app.
    const parseThread = createNdjsonParseThread();
    app.addHook('onClose', () => parseThread.close());
    const pushSlots = createPushSlots(config.limits.maxConcurrentPushesPerAccount);
    // In this plugin only: a JSON array reaches the route as the raw stream, parsed as it arrives.
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', (_request, payload, done) => {
      done(null, payload);
    });
    // CSV (header row = keys, values as strings) is taken here only, streamed like NDJSON.
    app.addContentTypeParser(CSV_CONTENT_TYPE, (_request, payload, done) => {
      done(null, payload);
    });
    app.post<{ Params: IdParams }>('/runs/:id/results', {
      schema: markExtension({
        operationId: 'pushRunResults',
        summary: 'Push result rows to a run',
        description:
          'appends result rows to a running run. Send a JSON array of objects (`application/json`, up to SQUIDSHIP_MAX_BODY_BYTES) ' +
          'or one JSON object per line (`application/x-ndjson`, no total size limit), or CSV (`text/csv`: the header row gives the keys, ' +
          'values stay strings; no total size limit), in UTF-8; all are streamed. Each row is at most ' +
          'SQUIDSHIP_MAX_ROW_BYTES, nested at most SQUIDSHIP_MAX_ROW_DEPTH levels, and may not use the keys id, object, squid, run; ' +
          'it is stored as sent (numbers keep their literals). The request is atomic: one bad line answers 400 naming it ' +
          '("line 5000: ..." or "item 12: ...") and stores nothing. A charset other than UTF-8: 415. Unknown run: 404; ' +
          'a run that is not running: 409 RunNotRunning.',
        params: idParamsSchema,
        response: {
          200: {
            type: 'object',
            properties: { accepted: { type: 'integer' }, total_results: { type: 'integer' }, run: runSchema },
          },
          ...errorResponses(400, 401, 404, 409, 413, 415, 429),
        },
      }),
    }, async (request) => {
      try {
        const release = pushSlots.acquire(requireAccount(request).id);
        try {
          return await appendResults(request);
        } finally {
          release();
        }
      } catch (error) {
        if (request.body instanceof Readable) await discardRest(request.body);
        throw error;
      }
    });

    async function appendResults(request: FastifyRequest<{ Params: IdParams }>) {
      const charsetError = findCharsetError(request.headers['content-type']);
      if (charsetError !== null) throw charsetError;
      const run = await store.getRun(requireAccount(request).id, request.params.id.toLowerCase());
      if (run === null) throw runNotFound();
      if (run.status !== 'running') {
        throw new AppError('RunNotRunning', `Run ${run.id} is ${run.status}: results can only be added to a running run.`, { status: 409 });
      }
      const options = { maxRowBytes: config.maxRowBytes, maxRowDepth: config.maxRowDepth, batchRows, batchBytes: DEFAULT_BATCH_BYTES, now: clock };
      const { maxRowsPerRun } = config.limits;
      const parsed = readBatches(request, options, parseThread, config.maxBodyBytes);
      const batches = maxRowsPerRun === 0 ? parsed : capRunRows(parsed, run.totalResults, maxRowsPerRun);
      const outcome = await ingestResults({ store, runId: run.id, batches, nowMs: clock(), heartbeat: deps.ingestHeartbeat });
      deps.metrics?.recordIngest({ rows: outcome.accepted, bytes: outcome.bytes });
      return { accepted: outcome.accepted, total_results: outcome.run.totalResults, run: serializeRun(outcome.run, clock()) };
    }
  };
}
