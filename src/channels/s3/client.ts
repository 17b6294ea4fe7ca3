// Builds the SDK client for a target (internal to s3/). Every S3 call of Squidship goes
// through a client made here, so checksums, timeouts, retries and anonymous access are set once.
import { createHash } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { setImmediate as setImmediatePromise } from 'node:timers/promises';
import { HeadBucketCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { S3Target } from './s3-target.js';

export interface S3ClientOptions {
  /** Socket inactivity timeout per request: a stalled endpoint becomes a retryable error. */
  requestTimeoutMs: number;
  /** Aborts in-flight requests, except the DELETE that aborts a multipart upload. */
  signal?: AbortSignal;
}

/** AWS's global endpoint answers every bucket's region, and the fallback when none is known. */
const DEFAULT_REGION = 'us-east-1';
/** TCP connect needs far less than a whole request; a dead host should fail fast. */
const MAX_CONNECTION_TIMEOUT_MS = 10_000;

/** Bucket regions found on AWS, so only the first upload to a bucket asks. */
const discoveredRegions = new Map<string, string>();

export async function createS3Client(target: S3Target, options: S3ClientOptions): Promise<S3Client> {
  return buildClient(target, await resolveTargetRegion(target, options), options);
}

/** The region requests are signed for: the configured one, the bucket's on AWS, else us-east-1. */
export async function resolveTargetRegion(target: S3Target, options: S3ClientOptions): Promise<string> {
  if (target.region !== null) return target.region;
  return target.endpoint === null ? discoverBucketRegion(target, options) : DEFAULT_REGION;
}

/**
 * The bucket's region as S3 reports it in `x-amz-bucket-region`: on HeadBucket's 200, and also
 * on its 301 (wrong region) and 403 (no ListBucket permission) answers. Falls back to us-east-1.
 */
export async function discoverBucketRegion(target: S3Target, options: S3ClientOptions): Promise<string> {
  const cacheKey = `${target.endpoint ?? 'aws'} ${target.bucket}`;
  const cached = discoveredRegions.get(cacheKey);
  if (cached !== undefined) return cached;
  const client = buildClient(target, DEFAULT_REGION, options);
  let region: string | undefined;
  try {
    const output = await client.send(new HeadBucketCommand({ Bucket: target.bucket }));
    region = output.BucketRegion;
  } catch (error) {
    // Not a failure: the error answer carries the region; any real problem (no such bucket,
    // endpoint down) shows again, classified, on the upload that follows.
    region = readBucketRegionHeader(error);
  } finally {
    client.destroy();
  }
  if (region === undefined || region === '') return DEFAULT_REGION;
  discoveredRegions.set(cacheKey, region);
  return region;
}

/** The `x-amz-bucket-region` header of an SDK error's raw response, if S3 sent one. */
export function readBucketRegionHeader(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const response = (error as { $response?: { headers?: Record<string, string | undefined> } }).$response;
  const value = response?.headers?.['x-amz-bucket-region'];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function buildClient(target: S3Target, region: string, options: S3ClientOptions): S3Client {
  const config: S3ClientConfig = {
    region,
    forcePathStyle: target.forcePathStyle,
    // One attempt per call: the delivery worker owns retries (with backoff and a recorded
    // attempt each), and the test probe must answer in seconds, not after minutes of retrying.
    maxAttempts: 1,
    requestHandler: new SignalRequestHandler(options.signal, {
      connectionTimeout: Math.min(options.requestTimeoutMs, MAX_CONNECTION_TIMEOUT_MS),
      requestTimeout: options.requestTimeoutMs,
      // Without it a request past its timeout only logs a warning and waits on forever.
      throwOnRequestTimeout: true,
      ...createCheckedAgents(target),
    }),
    ...(target.credentials === null ? anonymousAuth() : { credentials: target.credentials }),
  };
  if (target.endpoint !== null) {
    config.endpoint = target.endpoint;
    // SDK >= 3.729 adds CRC checksums by default, which R2, Backblaze, s3rver and others reject
    // or store as aws-chunked framing inside the object.
    config.requestChecksumCalculation = 'WHEN_REQUIRED';
    config.responseChecksumValidation = 'WHEN_REQUIRED';
  }
  const client = new S3Client(config);
  if (target.credentials !== null) {
    client.middlewareStack.add((next) => async (args) => {
      await addPayloadHash(args.request);
      return next(args);
    }, { step: 'build', name: 'squidshipSlicedPayloadHash' });
  }
  return client;
}

/**
 * Bodies of at least this size are hashed a slice at a time, giving the event loop back between
 * slices: the SHA-256 that SigV4 signs (the payload hash).
 */
const SLICED_HASH_MIN_BYTES = 256 * 1024;
/** ~0.6 ms of SHA-256 on this machine: the longest the event loop waits on the hash. */
const HASH_SLICE_BYTES = 1024 * 1024;
const PAYLOAD_HASH_HEADER = 'x-amz-content-sha256';

/**
 * The signer hashes a Buffer body in one synchronous update: ~5 ms per 8 MiB part, during which
 * no socket of the upload is written to, so the endpoint's reads of the parts already in flight
 * run dry and come in short pieces (s3rver then spent 10-25% more CPU on the same bytes than
 * for the aws CLI's parts). Hashed here a slice per turn of the event loop instead, with the
 * same bytes; the signer takes the header as the payload hash (it hashes only when it is absent).
 */
async function addPayloadHash(request: unknown): Promise<void> {
  const { headers, body } = request as { headers?: Record<string, string>; body?: unknown };
  if (headers === undefined || !(body instanceof Uint8Array) || body.byteLength < SLICED_HASH_MIN_BYTES) return;
  if (Object.keys(headers).some((name) => name.toLowerCase() === PAYLOAD_HASH_HEADER)) return;
  const hash = createHash('sha256');
  for (let offset = 0; offset < body.byteLength; offset += HASH_SLICE_BYTES) {
    if (offset > 0) await setImmediatePromise();
    hash.update(body.subarray(offset, offset + HASH_SLICE_BYTES));
  }
  headers[PAYLOAD_HASH_HEADER] = hash.digest('hex');
}

/** Agents whose sockets resolve through the egress policy, so the address checked is the one connected to. */
function createCheckedAgents(target: S3Target): { httpAgent?: HttpAgent; httpsAgent?: HttpsAgent } {
  if (target.lookupFor === undefined) return {};
  const port = target.endpoint === null ? 443 : Number(new URL(target.endpoint).port || (target.endpoint.startsWith('https:') ? 443 : 80));
  const lookup = target.lookupFor(port);
  return { httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 50, lookup }), httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 50, lookup }) };
}

/** Unsigned requests: no credentials are looked up and no Authorization header is sent. */
function anonymousAuth(): Pick<S3ClientConfig, 'httpAuthSchemes'> {
  const unsigned = {
    identityProvider: () => async () => ({}),
    signer: { sign: async (request: unknown) => request },
  };
  return {
    httpAuthSchemes: [
      { schemeId: 'aws.auth#sigv4', ...unsigned },
      { schemeId: 'aws.auth#sigv4a', ...unsigned },
    ] as S3ClientConfig['httpAuthSchemes'],
  };
}

/**
 * The signal is attached to every request here, once, rather than at each `send` of the
 * upload and the probe. The DELETE (AbortMultipartUpload) is spared: it is what cleans up after an abort.
 */
const CLEANUP_AFTER_STOP_TIMEOUT_MS = 3000;

type HandleRequest = Parameters<NodeHttpHandler['handle']>[0];
type HandleOptions = NonNullable<Parameters<NodeHttpHandler['handle']>[1]>;

class SignalRequestHandler extends NodeHttpHandler {
  private readonly signal: AbortSignal | undefined;

  constructor(signal: AbortSignal | undefined, options: ConstructorParameters<typeof NodeHttpHandler>[0]) {
    super(options);
    this.signal = signal;
  }

  override handle(request: HandleRequest, handlerOptions: HandleOptions = {}) {
    if (this.signal === undefined) return super.handle(request, handlerOptions);
    if (request.method === 'DELETE') {
      // After a stop, the clean-up gets a short time of its own: a store that stopped answering
      // must not hold a shutdown for the whole request timeout.
      if (!this.signal.aborted) return super.handle(request, handlerOptions);
      return super.handle(request, { ...handlerOptions, abortSignal: AbortSignal.timeout(CLEANUP_AFTER_STOP_TIMEOUT_MS) });
    }
    return super.handle(request, { ...handlerOptions, abortSignal: handlerOptions.abortSignal ?? this.signal });
  }
}
