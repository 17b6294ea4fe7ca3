// A loopback HTTP proxy in front of a real S3-compatible server that injects faults at the
// third-party boundary: S3's real XML error answers, a connection cut in the middle of a part,
// an endpoint that accepts and never answers. Everything else is forwarded untouched.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';

export type S3RequestKind =
  | 'PutObject'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'DeleteObject'
  | 'Other';

export type S3FaultCode =
  | 'AccessDenied'
  | 'InvalidAccessKeyId'
  | 'SignatureDoesNotMatch'
  | 'NoSuchBucket'
  | 'SlowDown'
  | 'InternalError'
  | 'PermanentRedirect'
  | 'AuthorizationHeaderMalformed';

/** The region the PermanentRedirect and AuthorizationHeaderMalformed answers name. */
export const FAULT_PROXY_BUCKET_REGION = 'eu-west-3';

/** Status, message and extra XML elements S3 sends for each code (from S3's error reference). */
const FAULTS: Record<S3FaultCode, { status: number; message: string; extra?: Record<string, string> }> = {
  AccessDenied: { status: 403, message: 'Access Denied' },
  InvalidAccessKeyId: { status: 403, message: 'The AWS Access Key Id you provided does not exist in our records.' },
  SignatureDoesNotMatch: {
    status: 403,
    message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  },
  NoSuchBucket: { status: 404, message: 'The specified bucket does not exist' },
  SlowDown: { status: 503, message: 'Please reduce your request rate.' },
  InternalError: { status: 500, message: 'We encountered an internal error. Please try again.' },
  PermanentRedirect: {
    status: 301,
    message: 'The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.',
    extra: { Endpoint: `s3.${FAULT_PROXY_BUCKET_REGION}.amazonaws.com` },
  },
  AuthorizationHeaderMalformed: {
    status: 400,
    message: `The authorization header is malformed; the region 'us-east-1' is wrong; expecting '${FAULT_PROXY_BUCKET_REGION}'`,
    extra: { Region: FAULT_PROXY_BUCKET_REGION },
  },
};

export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: point the SDK here instead of at the upstream. */
  endpoint: string;
  /**
   * Answers the next `times` requests (of the given kinds, default all) with S3's XML error.
   * The request body is read first, as S3 does before it answers a PUT.
   */
  failWith(code: S3FaultCode, times?: number, options?: { only?: S3RequestKind[] }): void;
  /** The next UploadPart with this part number gets part of its body read, then its socket destroyed. */
  cutConnectionDuringPart(partNumber: number): void;
  /** Accepts every request and never answers it. */
  stall(): void;
  /** Clears every fault and every counter. */
  reset(): void;
  /** Requests seen (faulted or forwarded), by kind. */
  readonly counts: Readonly<Record<S3RequestKind, number>>;
  /** Requests seen without an Authorization header (anonymous uploads). */
  readonly unsignedRequests: number;
  /**
   * Forwarded UploadPart and PutObject requests that sent a SHA-256 as `x-amz-content-sha256` (a
   * signed payload), by whether it was the SHA-256 of the body that came (S3 answers
   * XAmzContentSHA256Mismatch to the others).
   */
  readonly payloadHashes: { matched: number; mismatched: number };
  close(): Promise<void>;
}

interface FailRule {
  code: S3FaultCode;
  remaining: number;
  only: S3RequestKind[] | null;
}

export async function startS3FaultProxy(upstreamEndpoint: string): Promise<FaultProxy> {
  const upstream = new URL(upstreamEndpoint);
  const counts = emptyCounts();
  let failRule: FailRule | null = null;
  let cutPart: number | null = null;
  let stalled = false;
  let unsignedRequests = 0;
  const payloadHashes = { matched: 0, mismatched: 0 };

  const server = createServer((req, res) => {
    const kind = classifyRequest(req);
    counts[kind] += 1;
    if (req.headers.authorization === undefined) unsignedRequests += 1;
    if (stalled) return;
    if (failRule !== null && failRule.remaining > 0 && (failRule.only === null || failRule.only.includes(kind))) {
      failRule.remaining -= 1;
      void answerWithError(req, res, failRule.code);
      return;
    }
    if (kind === 'UploadPart' && cutPart !== null && partNumberOf(req) === cutPart) {
      cutPart = null;
      cutAfterFirstChunk(req);
      return;
    }
    if (kind === 'UploadPart' || kind === 'PutObject') checkPayloadHash(req, payloadHashes);
    forward(req, res, upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    failWith(code, times = Infinity, options = {}) {
      failRule = { code, remaining: times, only: options.only ?? null };
    },
    cutConnectionDuringPart(partNumber) {
      cutPart = partNumber;
    },
    stall() {
      stalled = true;
    },
    reset() {
      failRule = null;
      cutPart = null;
      stalled = false;
      Object.assign(counts, emptyCounts());
      unsignedRequests = 0;
      Object.assign(payloadHashes, { matched: 0, mismatched: 0 });
    },
    counts,
    get unsignedRequests() {
      return unsignedRequests;
    },
    payloadHashes,
    close: () => closeServer(server),
  };
}

/** An endpoint where nothing listens: a port that was free a moment ago. */
export async function closedPortEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await closeServer(server);
  return `http://127.0.0.1:${port}`;
}

function emptyCounts(): Record<S3RequestKind, number> {
  return {
    PutObject: 0,
    CreateMultipartUpload: 0,
    UploadPart: 0,
    CompleteMultipartUpload: 0,
    AbortMultipartUpload: 0,
    DeleteObject: 0,
    Other: 0,
  };
}

function classifyRequest(req: IncomingMessage): S3RequestKind {
  const query = new URL(req.url ?? '/', 'http://proxy').searchParams;
  const hasUploadId = query.has('uploadId');
  switch (req.method) {
    case 'PUT':
      return hasUploadId && query.has('partNumber') ? 'UploadPart' : 'PutObject';
    case 'POST':
      if (query.has('uploads')) return 'CreateMultipartUpload';
      return hasUploadId ? 'CompleteMultipartUpload' : 'Other';
    case 'DELETE':
      return hasUploadId ? 'AbortMultipartUpload' : 'DeleteObject';
    default:
      return 'Other';
  }
}

function partNumberOf(req: IncomingMessage): number {
  return Number(new URL(req.url ?? '/', 'http://proxy').searchParams.get('partNumber'));
}

async function answerWithError(req: IncomingMessage, res: ServerResponse, code: S3FaultCode): Promise<void> {
  for await (const _chunk of req) {
    // Drained so the client is not cut off while it still sends the body.
  }
  const fault = FAULTS[code];
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  const headers: Record<string, string> = { 'Content-Type': 'application/xml', 'x-amz-request-id': requestId };
  if (code === 'PermanentRedirect') headers['x-amz-bucket-region'] = FAULT_PROXY_BUCKET_REGION;
  // HEAD answers carry no body, as on S3.
  if (req.method === 'HEAD') {
    res.writeHead(fault.status, headers).end();
    return;
  }
  const extra = Object.entries(fault.extra ?? {}).map(([name, value]) => `<${name}>${value}</${name}>`).join('');
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${code}</Code><Message>${fault.message}</Message>${extra}` +
    `<RequestId>${requestId}</RequestId><HostId>${randomBytes(24).toString('base64')}</HostId></Error>`;
  res.writeHead(fault.status, headers).end(body);
}

/** Hashes the body as it passes, when the request names its SHA-256, and counts the verdict. */
function checkPayloadHash(req: IncomingMessage, verdicts: { matched: number; mismatched: number }): void {
  const claimed = req.headers['x-amz-content-sha256'];
  if (typeof claimed !== 'string' || !/^[0-9a-f]{64}$/.test(claimed)) return;
  const hash = createHash('sha256');
  req.on('data', (chunk: Buffer) => hash.update(chunk));
  req.once('end', () => {
    if (hash.digest('hex') === claimed) verdicts.matched += 1;
    else verdicts.mismatched += 1;
  });
}

function cutAfterFirstChunk(req: IncomingMessage): void {
  req.once('data', () => req.socket.destroy());
  req.once('end', () => req.socket.destroy());
}

function forward(req: IncomingMessage, res: ServerResponse, upstream: URL): void {
  const upstreamReq = httpRequest({
    host: upstream.hostname,
    port: upstream.port,
    method: req.method,
    path: req.url,
    headers: { ...req.headers, host: upstream.host },
  });
  upstreamReq.on('response', (upstreamRes) => {
    res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
    pipeline(upstreamRes, res).catch(() => req.socket.destroy());
  });
  // A broken upstream or client connection is passed on as a broken connection.
  pipeline(req, upstreamReq).catch(() => req.socket.destroy());
  upstreamReq.on('error', () => req.socket.destroy());
}

async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  await new Promise<void>((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
