// What the HTTP app needs, built by main.ts (or a test helper) and passed to buildApp.
import type { ChannelRegistry } from '../channels/registry.js';
import type { Config } from '../config/config.js';
import type { Clock } from '../domain/clock.js';
import type { IngestHeartbeat } from '../ingest/ingest-heartbeat.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Store } from '../storage/store.js';

export interface AppDeps {
  store: Store;
  config: Config;
  clock: Clock;
  /** The delivery channels: configure, test routes, squid views and history dispatch on it. */
  channels: ChannelRegistry;
  /** HMAC-SHA256 key that signs download URLs (derived from the secret key). */
  urlSigningKey: Buffer;
  /** The base URL of this server as clients reach it, for signed download URLs. */
  publicUrl: string;
  /** What else /readyz checks besides the database (worker loop, embedded S3): each says why it is not ready, or null. */
  readinessChecks?: Array<() => string | null>;
  /** The process's metrics: GET /metrics and request counts; absent: no /metrics route. */
  metrics?: Metrics;
  /** The dashboard's built files; default <repo>/dist/web (see api/dashboard.ts). */
  webRoot?: string;
  /** Touches the heartbeat of this process's open ingests (pushes); absent: nothing does. */
  ingestHeartbeat?: IngestHeartbeat;
  /** Called once a squid was deleted: wakes this process's purger, which removes its rows. */
  onSquidDeleted?: () => void;
}
