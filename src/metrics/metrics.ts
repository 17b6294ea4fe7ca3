// The Prometheus metrics of one process (prom-client, its own registry so that several servers in
// one test process do not share counters). Parts record through the small methods below; the
// queue gauges read the store when scraped.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Store } from '../storage/store.js';

export type AttemptOutcome = 'succeeded' | 'retrying' | 'failed';

export interface Metrics {
  readonly contentType: string;
  recordAttempt(input: { channel: string; outcome: AttemptOutcome; durationMs: number; rows?: number; bytes?: number }): void;
  recordIngest(input: { rows: number; bytes: number }): void;
  recordHttpRequest(input: { method: string; route: string; status: number }): void;
  /** The text exposition format, what GET /metrics answers. */
  render(): Promise<string>;
}

/** Attempts range from an empty export (milliseconds) to a multi-GiB upload (an hour). */
const ATTEMPT_BUCKETS_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

export function createMetrics(options: { store: Store; clock: () => number }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const deliveries = new Counter({ name: 'squidship_deliveries_total', help: 'Delivery attempts by channel and outcome (retrying: will be tried again; failed: for good).', labelNames: ['channel', 'outcome'], registers });
  const duration = new Histogram({ name: 'squidship_delivery_attempt_duration_seconds', help: 'Duration of delivery attempts.', labelNames: ['channel', 'outcome'], buckets: ATTEMPT_BUCKETS_SECONDS, registers });
  const deliveredBytes = new Counter({ name: 'squidship_delivered_bytes_total', help: 'Bytes written by successful deliveries.', labelNames: ['channel'], registers });
  const deliveredRows = new Counter({ name: 'squidship_delivered_rows_total', help: 'Rows written by successful deliveries.', labelNames: ['channel'], registers });
  const ingestedRows = new Counter({ name: 'squidship_ingested_rows_total', help: 'Result rows committed through the API.', registers });
  const ingestedBytes = new Counter({ name: 'squidship_ingested_bytes_total', help: 'Bytes of the JSON text of committed result rows.', registers });
  const requests = new Counter({ name: 'squidship_http_requests_total', help: 'HTTP requests by method, route template and status.', labelNames: ['method', 'route', 'status'], registers });
  registerQueueGauges(registers, options);
  return {
    contentType: registry.contentType,
    recordAttempt({ channel, outcome, durationMs, rows, bytes }) {
      deliveries.inc({ channel, outcome });
      duration.observe({ channel, outcome }, durationMs / 1000);
      if (outcome !== 'succeeded') return;
      deliveredRows.inc({ channel }, rows ?? 0);
      deliveredBytes.inc({ channel }, bytes ?? 0);
    },
    recordIngest({ rows, bytes }) {
      ingestedRows.inc(rows);
      ingestedBytes.inc(bytes);
    },
    recordHttpRequest({ method, route, status }) {
      requests.inc({ method, route, status: String(status) });
    },
    render: () => registry.metrics(),
  };
}

/** Read from the store at scrape time: the queue is shared by every process of a database. */
function registerQueueGauges(registers: Registry[], options: { store: Store; clock: () => number }): void {
  let summary: ReturnType<Store['describeDeliveryQueue']> | null = null;
  // Both gauges are collected in one scrape: one query for the two.
  const readOnce = () => {
    summary ??= options.store.describeDeliveryQueue().finally(() => setImmediate(() => (summary = null)));
    return summary;
  };
  new Gauge({
    name: 'squidship_delivery_queue_depth',
    help: 'Unfinished deliveries: pending (waiting for their next attempt) and running (leased by a worker).',
    labelNames: ['status'],
    registers,
    async collect() {
      const { pending, running } = await readOnce();
      this.set({ status: 'pending' }, pending);
      this.set({ status: 'running' }, running);
    },
  });
  new Gauge({
    name: 'squidship_delivery_oldest_due_age_seconds',
    help: 'How long the longest-waiting due delivery has been due (0: none is waiting).',
    registers,
    async collect() {
      const { earliestPendingAtMs } = await readOnce();
      const waitingMs = earliestPendingAtMs === null ? 0 : Math.max(0, options.clock() - earliestPendingAtMs);
      this.set(waitingMs / 1000);
    },
  });
}
