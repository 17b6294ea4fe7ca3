// `squidship push FILE --squid ID [--complete] [--batch-rows N]`: streams a results file into a
// new run through the API, in requests of at most N rows or about 64 MiB. Each request is
// atomic on the server: a failure leaves the rows of the earlier requests in the run. When the
// server refuses the rows (or the file cannot be parsed), push aborts the run it started, so
// that the squid is not left with a running run nobody will end.
import { access, constants, stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { AppError } from '../../domain/app-error.js';
import { UsageError, type CliContext } from '../cli-context.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { createApiClient, type ApiClient } from '../push/api-client.js';
import { detectResultsFileFormat, readNdjsonChunks, type ResultsFileFormat } from '../push/ndjson-source.js';
import { createPushProgress, type PushProgress, type PushSource, type PushTotals } from '../push/push-progress.js';
import { createRequestSplitter, type BodyCounts, type RequestLimits } from '../push/request-splitter.js';
import { readServerEnv } from '../server-env.js';

export const DEFAULT_BATCH_ROWS = 100_000;
/** The server's default JSON body limit (SQUIDSHIP_MAX_BODY_BYTES); NDJSON has none, but a
 * request this size takes seconds, not hours, to redo. */
export const BATCH_BYTES = 64 * 1024 * 1024;

interface PushOptions {
  file: string;
  format: ResultsFileFormat;
  squid: string;
  complete: boolean;
  limits: RequestLimits;
}

export async function runPush(context: CliContext): Promise<void> {
  const options = parsePushOptions(context.args);
  const client = createApiClient(readServerEnv(context.env));
  await access(options.file, constants.R_OK).catch((error: unknown) => {
    throw new AppError('FileUnreadable', `cannot read ${options.file}: ${(error as Error).message}`, { cause: error });
  });
  let readBytes = 0;
  const source: PushSource = { sizeBytes: (await stat(options.file)).size, readBytes: () => readBytes };

  const run = await client.startRun(options.squid);
  // First and alone on stdout, so a script has the run id even when a later request fails.
  context.stdout.write(`${run.id}\n`);
  const progress = createPushProgress(context.stderr, Date.now, source);
  const chunks = readNdjsonChunks(options.file, options.format, (bytes) => (readBytes += bytes));
  const totals = await sendFile(client, run.id, chunks, options, progress);
  if (options.complete) await client.completeRun(run.id);
  progress.finish(totals, run.id, options.complete);
}

async function sendFile(client: ApiClient, runId: string, chunks: AsyncIterable<Buffer>, options: PushOptions, progress: PushProgress): Promise<PushTotals> {
  const totals: PushTotals = { rows: 0, bytes: 0, requests: 0 };
  let sourceError: unknown = null;
  const splitter = createRequestSplitter(recordErrors(chunks, (error) => (sourceError = error)), options.limits);
  try {
    while (await splitter.hasMore()) {
      const counts: BodyCounts = { rows: 0, bytes: 0 };
      const onChunk = (): void => progress.update({ rows: totals.rows + counts.rows, bytes: totals.bytes + counts.bytes, requests: totals.requests });
      await client.appendResults(runId, splitter.nextBody(counts, onChunk));
      totals.rows += counts.rows;
      totals.bytes += counts.bytes;
      totals.requests += 1;
      progress.requestDone(totals, counts.rows, counts.bytes);
    }
  } catch (error) {
    progress.interrupt();
    const failure = sourceError ?? error;
    const outcome = isRefusedInput(failure) ? await abortRefusedRun(client, runId) : 'stays running (complete or abort it)';
    throw explainFailedRequest(failure, options.file, runId, totals, outcome);
  }
  return totals;
}

/**
 * The server answered that it refuses the rows (a 4xx other than auth, not-found or conflict), or
 * the file does not parse. A lost connection (retryable) or an odd answer leaves the run alone.
 */
function isRefusedInput(error: unknown): boolean {
  if (!(error instanceof AppError)) return true;
  if (error.retryable || error.code === 'BadResponse') return false;
  return error.status >= 400 && error.status < 500 && ![401, 403, 404, 409].includes(error.status);
}

async function abortRefusedRun(client: ApiClient, runId: string): Promise<string> {
  try {
    await client.abortRun(runId);
    return 'was aborted (the squid can start a new run)';
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return `stays running: aborting it failed (${reason}); run squidship run abort ${runId}`;
  }
}

/** A read or parse error of the file surfaces in fetch as a vague failure; keep the real one. */
async function* recordErrors(source: AsyncIterable<Buffer>, record: (error: unknown) => void): AsyncGenerator<Buffer> {
  try {
    yield* source;
  } catch (error) {
    record(error);
    throw error;
  }
}

function explainFailedRequest(error: unknown, file: string, runId: string, totals: PushTotals, ending: string): AppError {
  const requests = `${totals.requests} earlier request${totals.requests === 1 ? '' : 's'}`;
  const kept = totals.requests === 0 ? `run ${runId} holds none of its rows` : `run ${runId} keeps the ${totals.rows} rows of the ${requests}`;
  const outcome = `${kept} and ${ending}`;
  const reason = (error instanceof Error ? error.message : String(error)).replace(/\.$/, '');
  if (error instanceof AppError) {
    const where = `request ${totals.requests + 1} (rows from ${totals.rows + 1})`;
    return new AppError(error.code, `${where} failed: ${reason}; ${outcome}`, { status: error.status, cause: error, hint: error.hint });
  }
  return new AppError('FileUnreadable', `${file}: ${reason}; ${outcome}`, { cause: error });
}

function parsePushOptions(args: string[]): PushOptions {
  const { values, positionals } = parseCommandArgs(() =>
    parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        squid: { type: 'string' },
        complete: { type: 'boolean', default: false },
        'batch-rows': { type: 'string' },
      },
    }),
  );
  const [file, ...extra] = positionals;
  if (file === undefined) throw new UsageError('push needs a FILE');
  if (extra.length > 0) throw new UsageError(`push takes one FILE, got also "${extra.join(' ')}"`);
  const format = detectResultsFileFormat(file);
  if (format === null) throw new UsageError(`${file}: push reads .ndjson, .jsonl, .json or .csv files`);
  if (values.squid === undefined || values.squid.trim() === '') throw new UsageError('push needs --squid ID');
  return { file, format, squid: values.squid.trim(), complete: values.complete, limits: { maxRows: parseBatchRows(values['batch-rows']), maxBytes: BATCH_BYTES } };
}

function parseBatchRows(value: string | undefined): number {
  if (value === undefined) return DEFAULT_BATCH_ROWS;
  const rows = Number(value);
  if (!/^\d+$/.test(value) || rows < 1 || rows > 10_000_000) throw new UsageError(`--batch-rows must be a whole number from 1 to 10000000, not "${value}"`);
  return rows;
}
