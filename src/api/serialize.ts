// Domain objects -> Lobstr's JSON shapes (snake_case, ISO timestamps with `Z`, 32-hex ids).
import { createHash } from 'node:crypto';
import type { ChannelRegistry } from '../channels/registry.js';
import { BUILT_IN_CRAWLER, type Crawler } from '../domain/crawlers.js';
import type { Destination, DoneReason, ResultRow, Run, RunStatus, Squid } from '../domain/types.js';
import { JsonNumber, JsonReadError, type JsonValue, parseJsonBytes, writeCompactJson } from '../json/json-literal-value.js';
import type { LastRunSummary } from '../storage/store.js';
import { LOBSTR_UNBUILT_FIELDS } from './schemas.js';

export function renderTime(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

const TERMINAL_STATUSES: ReadonlySet<RunStatus> = new Set(['done', 'aborted', 'error']);

export const DONE_REASON_TEXT: Record<DoneReason, string> = {
  tasks_done: 'The scraper completed the run and its results were exported.',
  aborted: 'The run was aborted; the results pushed before the abort were exported.',
  export_failed: 'Results export failed: a delivery did not succeed (see GET /v1/runs/{id}/deliveries).',
  export_fix: 'Export regenerated successfully after previous failure.',
};

export function isRunDone(run: Run): boolean {
  return TERMINAL_STATUSES.has(run.status);
}

/** Seconds from start to end (or to now while the run is open). */
export function runDurationSeconds(run: Run, nowMs: number): number {
  return Math.max(0, (run.endedAtMs ?? nowMs) - run.startedAtMs) / 1000;
}

export function serializeRun(run: Run, nowMs: number) {
  return {
    id: run.id,
    object: 'run',
    squid: run.squidId,
    is_done: isRunDone(run),
    started_at: renderTime(run.startedAtMs),
    total_results: run.totalResults,
    total_unique_results: run.totalUniqueResults,
    next_launch_at: null,
    ended_at: renderTime(run.endedAtMs),
    duration: runDurationSeconds(run, nowMs),
    credit_used: 0,
    origin: run.origin,
    force_launch: false,
    status: run.status,
    export_done: run.exportDone,
    export_count: run.exportCount,
    export_time: renderTime(run.exportTimeMs),
    email_done: null,
    email_time: null,
    created_at: renderTime(run.createdAtMs),
    done_reason: run.doneReason,
    done_reason_desc: run.doneReason === null ? null : DONE_REASON_TEXT[run.doneReason],
  };
}

/** Python's timedelta text (`0:00:15.175532`), the form Lobstr's stats endpoint uses. */
export function renderTimedelta(seconds: number): string {
  const whole = Math.floor(seconds);
  const micros = Math.round((seconds - whole) * 1e6);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${h}:${pad(m)}:${pad(s)}${micros > 0 ? `.${String(micros).padStart(6, '0')}` : ''}`;
}

/** Squidship runs no tasks: task counts are 0 and progress is all or nothing. */
export function serializeRunStats(run: Run, nowMs: number) {
  const done = isRunDone(run);
  return {
    id: run.id,
    object: 'run',
    status: run.status,
    duration: renderTimedelta(runDurationSeconds(run, nowMs)),
    started_at: renderTime(run.startedAtMs),
    ended_at: renderTime(run.endedAtMs),
    eta: done ? '0:00:00' : '∞',
    is_done: done,
    percent_done: done ? '100%' : '0%',
    total_requests: null,
    total_results: run.totalResults,
    total_unique_results: run.totalUniqueResults,
    total_tasks: 0,
    total_tasks_done: 0,
    total_tasks_left: 0,
    current_task: '',
    results_total: run.totalResults,
    results_done: run.totalResults,
    updated_at: renderTime(run.exportTimeMs ?? run.endedAtMs ?? nowMs),
  };
}

/** The public id of a result row: stable, derived from its run and its place in the store. */
export function renderResultId(runId: string, seq: number): string {
  return createHash('sha256').update(`${runId}:${seq}`).digest('hex').slice(0, 32);
}

/**
 * A result as the API's JSON text: the row's own fields, numbers as their stored literals
 * (JSON.parse would turn 12345678901234567890 into 12345678901234567000), then id, object, squid,
 * run and scraping_time (the API's scraping_time replaces a row's own, in the row's place). The
 * keys come in JSON.parse's order, as when the row went through it.
 */
export function serializeResultJson(row: ResultRow): string {
  const fields = {
    id: renderResultId(row.runId, row.seq),
    object: 'result',
    squid: row.squidId,
    run: row.runId,
    scraping_time: renderTime(row.scrapingTimeMs),
  };
  const read = readStoredRow(row.data);
  if (read instanceof JsonReadError) return writeCompactJson({ ...fields, unreadable: describeUnreadable(read, row.data) });
  return writeCompactJson(Object.assign(read, fields));
}

/** The stored row as an object (null prototype: a "__proto__" key is data), or why it cannot be. */
function readStoredRow(text: string): Record<string, JsonValue> | JsonReadError {
  try {
    const bytes = Buffer.from(text, 'utf8');
    const value = parseJsonBytes(bytes, 0, bytes.length);
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof JsonNumber)) return value;
    return new JsonReadError('invalid', 'not a JSON object');
  } catch (error) {
    if (error instanceof JsonReadError) return error;
    throw error;
  }
}

/**
 * A row the API cannot give field by field (stored nested deeper than any reader goes, or not a
 * JSON object) still answers, so that one row does not fail its run's and its squid's pages: its
 * text as stored, as a JSON string, which no client has to descend into to read the page.
 */
function describeUnreadable(error: JsonReadError, text: string) {
  return { type: 'StoredRowUnreadable', message: `the stored row cannot be read as JSON fields (${error.message}); its text as stored is in data`, data: text };
}

/** Every registered channel's `<fieldsKey>` (first, in registry order), then Lobstr's others. */
export function serializeChannelFields(channels: ChannelRegistry, destinations: readonly Destination[]): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const channel of channels.list) {
    const destination = destinations.find((candidate) => candidate.kind === channel.kind);
    fields[channel.fieldsKey] = destination === undefined ? null : channel.serializeFields(destination.config, destination.isActive);
  }
  for (const key of LOBSTR_UNBUILT_FIELDS) if (!(key in fields)) fields[key] = null;
  return fields;
}

export function serializeCrawler(crawler: Crawler) {
  return {
    id: crawler.id,
    object: 'crawler',
    account: null,
    name: crawler.name,
    slug: crawler.slug,
    icon: null,
    is_public: true,
    is_available: true,
    is_premium: false,
    has_issues: false,
    max_concurrency: 20,
    credits_per_row: 0,
  };
}

export interface SquidView {
  squid: Squid;
  lastRun: LastRunSummary | null;
  totalRuns: number;
  destinations: Destination[];
}

export function serializeSquid(view: SquidView, channels: ChannelRegistry) {
  const { squid, lastRun } = view;
  const crawlerName = squid.crawlerId === BUILT_IN_CRAWLER.id ? BUILT_IN_CRAWLER.name : null;
  return {
    id: squid.id,
    object: 'squid',
    name: squid.name,
    crawler: squid.crawlerId,
    crawler_name: crawlerName,
    account: [],
    concurrency: squid.concurrency,
    created_at: renderTime(squid.createdAtMs),
    is_active: squid.isActive,
    is_ready: true,
    params: {},
    schedule: null,
    next_launch_at: null,
    to_complete: false,
    export_unique_results: squid.exportUniqueResults,
    no_line_breaks: squid.noLineBreaks,
    email: null,
    notifications: false,
    last_run: lastRun?.id ?? null,
    last_run_status: lastRun ? lastRun.status.toUpperCase() : null,
    last_run_at: renderTime(lastRun?.startedAtMs ?? null),
    last_run_done_reason: lastRun?.doneReason ?? null,
    total_runs: view.totalRuns,
    ...serializeChannelFields(channels, view.destinations),
  };
}
