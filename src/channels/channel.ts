// The one interface a delivery channel implements. The API, the planner and the delivery engine
// know channels only through it (and the registry), so a new channel is one folder here plus
// one line in main.ts. A channel's config is its own JSON object, opaque to everything else.
import type { Logger } from 'pino';
import type { Clock } from '../domain/clock.js';
import type { Delivery, DeliveryError, EndpointAnswer, Run, Squid } from '../domain/types.js';
import type { ExportStream } from '../export/pipeline.js';

/** A job when the run ends with its export file: what file channels (S3, SFTP...) deliver. */
export const FILE_EVENT = 'file';
/** A job when a run starts (webhooks later); enqueued in the run-start transaction. */
export const RUN_RUNNING_EVENT = 'run.running';
/** A job when a run is finalised (done or aborted, its `file` jobs over): planned in that transaction. */
export const RUN_DONE_EVENT = 'run.done';
/** Instead of run.done when the run ends `export_failed`. */
export const RUN_ERROR_EVENT = 'run.error';

export interface ParseFieldsOptions {
  /** configure: POST /v1/delivery (is_active required); test: the channel's test route. */
  mode: 'configure' | 'test';
  /** How field names are shown in errors: "<fieldsKey>." when configuring, "" when testing. */
  prefix: string;
}

export interface ParsedFields<C> {
  /** null when the form does not carry it (the test route). */
  isActive: boolean | null;
  config: C;
}

/** What a test route needs besides the settings under test. */
export interface ChannelTestContext {
  clock: Clock;
}

/**
 * The bytes of the run's export, as the channel asks for them: chunks of `chunkBytes` (the last
 * one less), at most `chunksHeld` of them lent at once (the export waits for a release).
 */
export interface ExportRequest {
  chunkBytes: number;
  chunksHeld: number;
}

/** A file job of the run that landed, as its channel describes where (run.done's `files`). */
export interface DeliveredFile {
  kind: string;
  /** The channel's `describeLocation` of the succeeded attempt's target (S3: bucket, key). */
  location: Record<string, unknown>;
}

/** What one attempt gets from the engine: it is aborted when the lease is lost or at shutdown. */
export interface AttemptContext {
  signal: AbortSignal;
  clock: Clock;
  logger: Logger;
  openExport(request: ExportRequest): ExportStream;
  /**
   * Records durably, before the channel writes into it, something the attempt opens at the
   * destination that a crash would leave open (S3: a multipart upload), as the channel's own
   * JSON (no secrets): the job's next attempt, or the worker's sweep, hands it to `cleanUp`.
   * Throws when the attempt no longer holds its job. Channels that open nothing never call it.
   */
  recordOpenWrite(ref: string): Promise<OpenWriteRecord>;
  /**
   * The succeeded `file` jobs of this job's round, oldest first, each described by its own
   * channel: where the run's export landed. Read from the store when called (run.done asks).
   */
  listDeliveredFiles(): Promise<DeliveredFile[]>;
}

/** A recorded open write of the current attempt. */
export interface OpenWriteRecord {
  /** It was closed (completed or aborted): the record goes. A failure here is only logged. */
  forget(): Promise<void>;
}

/** What cleanUp gets. */
export interface CleanupContext {
  signal: AbortSignal;
  logger: Logger;
  /**
   * true before an attempt, under the job's lease: anything still open at the job's target is
   * a leftover of an earlier attempt (S3: every open upload under the key). false in the
   * worker's sweep, where only the recorded refs may be closed (an attempt may be starting).
   */
  holdsJob: boolean;
}

/** A claimed job with its run and squid, the config typed as the channel's own. */
export interface DeliveryJob<C> {
  delivery: Omit<Delivery, 'config'> & { config: C };
  run: Run;
  squid: Squid;
}

export interface DeliveryReceipt {
  rows: number;
  bytes: number;
  /** The destination's version tag of what was written (S3: the ETag), when it has one. */
  etag: string | null;
  /** What an HTTP endpoint answered (webhooks), for the history. */
  endpoint?: EndpointAnswer;
}

/** A configured secret shown once (the configure answer, a rotation), never again. */
export interface RevealedSecret<C> {
  config: C;
  /** The answer's added keys (webhook: `signing_secret`); empty when nothing new was made. */
  revealed: Record<string, string>;
}

/** JSON Schema properties, for the OpenAPI documents of routes that show a channel's data. */
export type SchemaProperties = Record<string, Record<string, unknown>>;

// Methods (not function properties) so a DeliveryChannel<S3Config> is a DeliveryChannel<unknown>.
export interface DeliveryChannel<C = unknown> {
  /** Stored on destinations and jobs: 's3'. */
  readonly kind: string;
  /** The Lobstr body and squid key: 's3_fields'. */
  readonly fieldsKey: string;
  /** POST /v1/delivery/<testRoute>: 'test-s3'. */
  readonly testRoute: string;
  /** For messages: "send the S3 settings in s3_fields". */
  readonly title: string;
  /** For messages: "configure s3_fields (Amazon S3 or any S3-compatible store) instead". */
  readonly description: string;
  /** The OpenAPI description of the test route, and its body's schema properties. */
  readonly testDescription: string;
  readonly testBodyProperties: SchemaProperties;
  /** Validates the fields object (either body form, already extracted); throws AppError 400. */
  parseFields(fields: Record<string, unknown>, options: ParseFieldsOptions): ParsedFields<C>;
  /**
   * Optional: completes a parsed config with what the stored one keeps (a signing secret made on
   * first configure); `previous` is the squid's stored config of this kind, or null.
   */
  prepareConfig?(config: C, previous: C | null): Promise<RevealedSecret<C>>;
  /** Optional: a new secret (POST /v1/squids/{id}/<kind>-secret), shown once. */
  rotateSecret?(config: C): RevealedSecret<C>;
  /** The squid's `<fieldsKey>` value: every field, secrets masked. */
  serializeFields(config: C, isActive: boolean): Record<string, unknown>;
  /** serializeFields' JSON Schema (it also orders the answer's keys). */
  readonly fieldsSchema: { description: string; properties: SchemaProperties };
  /** The OpenAPI description of `<fieldsKey>` in a configure body. */
  readonly fieldsDescription: string;
  /** The events that make a job for this destination: FILE_EVENT, RUN_RUNNING_EVENT... */
  events(config: C): readonly string[];
  /** Where the job writes (S3: the object key), fixed when the job is planned; null if nowhere. */
  planTarget(config: C, run: Run, squid: Squid, event: string): string | null;
  /** The test route's probe; answers its JSON body, never throws for a destination's fault. */
  test(config: C, ctx: ChannelTestContext): Promise<Record<string, unknown>>;
  deliver(job: DeliveryJob<C>, ctx: AttemptContext): Promise<DeliveryReceipt>;
  /**
   * Optional (channels that leave nothing open have none): closes what earlier attempts of a
   * job left open at the destination, `refs` being what they recorded with recordOpenWrite and
   * did not forget. Not called before a job's first attempt when nothing is recorded. Returns the refs it closed or found already gone; the others are kept for
   * the next try. A destination's failure is logged and leaves the ref, never thrown.
   */
  cleanUp?(config: C, target: string | null, refs: readonly string[], ctx: CleanupContext): Promise<readonly string[]>;
  /** The one reader of this channel's errors: permanent (with a hint) or retryable. */
  classify(error: unknown, config: C): DeliveryError;
  /** The log fields of an attempt's start (never secrets). */
  describeForLog(config: C, target: string | null): Record<string, unknown>;
  /** What the delivery history shows of a job's target (S3: bucket, key), and its schema. */
  renderJobTarget(config: C, target: string | null): Record<string, unknown>;
  renderAttemptTarget(target: string | null): Record<string, unknown>;
  /**
   * Where a delivered file is, for other channels to tell (a run.done webhook's `files`): plain
   * JSON a receiver can act on (S3: bucket, key), never secrets.
   */
  describeLocation(config: C, target: string | null): Record<string, unknown>;
  readonly historySchema: { job: SchemaProperties; attempt: SchemaProperties };
}

/** A failed attempt, already classified: the engine retries it or gives up from `error`. */
export class DeliveryFailure extends Error {
  /** What an HTTP endpoint answered before the failure, when it answered. */
  readonly endpoint: EndpointAnswer | undefined;
  constructor(
    readonly error: DeliveryError,
    options?: { cause?: unknown; endpoint?: EndpointAnswer },
  ) {
    super(error.message, options);
    this.name = 'DeliveryFailure';
    this.endpoint = options?.endpoint;
  }
}
