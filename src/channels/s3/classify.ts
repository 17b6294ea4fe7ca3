// The one place that reads SDK error names, HTTP status codes and socket error codes, and turns
// them into a DeliveryError: permanent (stop at once, with a hint naming the fix) or retryable.
import { AppError } from '../../domain/app-error.js';
import type { DeliveryError } from '../../domain/types.js';
import { readBucketRegionHeader } from './client.js';

export interface S3ErrorContext {
  bucket: string;
  targetPath: string;
  endpoint: string | null;
  region: string | null;
}

/** What `uploadObject` and the other s3/ calls throw: the classified error, the original as cause. */
export class S3OperationError extends Error {
  readonly detail: DeliveryError;

  constructor(detail: DeliveryError, cause: unknown) {
    super(detail.message, { cause });
    this.name = 'S3OperationError';
    this.detail = detail;
  }
}

interface ErrorFacts {
  /** S3's error code (the SDK puts it in `name`), or the JS error name. */
  name: string;
  statusCode: number | null;
  /** Node's socket error code (ECONNREFUSED, ...), when there is one. */
  socketCode: string | null;
  message: string;
  raw: unknown;
}

type Rule = (facts: ErrorFacts, context: S3ErrorContext) => Omit<DeliveryError, 'statusCode'>;

const permanent = (code: string, message: string, hint: string | null) => ({ code, message, hint, retryable: false });
const retryable = (code: string, message: string, hint: string | null) => ({ code, message, hint, retryable: true });

const RETRY_HINT = 'This is usually transient; the delivery is retried with backoff.';
export const EGRESS_HINT = 'Use a public endpoint, or ask the operator to allow this address (SQUIDSHIP_EGRESS_ALLOW).';

/** S3 error codes with a known meaning, from S3's error reference. */
const RULES_BY_CODE: Record<string, Rule> = {
  AccessDenied: (_f, c) =>
    permanent('AccessDenied', `Access denied writing to bucket "${c.bucket}".`,
      `Grant s3:PutObject on ${objectArn(c)} to the user of these keys (IAM policy); ` +
      'without keys, the bucket policy must allow public write.'),
  NoSuchBucket: (_f, c) =>
    permanent('NoSuchBucket', `Bucket "${c.bucket}" does not exist at ${describeEndpoint(c)}.`,
      'Check the bucket name and the region (or endpoint); create the bucket if it is missing.'),
  InvalidAccessKeyId: (_f, c) =>
    permanent('InvalidAccessKeyId', `The access key is not known to ${describeEndpoint(c)}.`,
      'Check aws_access_key: it may be mistyped, deleted or inactive, or belong to another endpoint.'),
  SignatureDoesNotMatch: () =>
    permanent('SignatureDoesNotMatch', 'The secret key does not match the access key.',
      'Check aws_secret_key: copy it again, without surrounding spaces.'),
  PermanentRedirect: wrongRegion('PermanentRedirect'),
  AuthorizationHeaderMalformed: wrongRegion('AuthorizationHeaderMalformed'),
  IllegalLocationConstraintException: wrongRegion('IllegalLocationConstraintException'),
  InvalidBucketName: (_f, c) =>
    permanent('InvalidBucketName', `"${c.bucket}" is not a valid bucket name.`,
      'Use a name that follows the S3 bucket naming rules: 3-63 lowercase letters, digits, dots and hyphens.'),
  AccountProblem: accountDisabled('AccountProblem'),
  AllAccessDisabled: accountDisabled('AllAccessDisabled'),
  RequestTimeTooSkewed: () =>
    permanent('RequestTimeTooSkewed', "S3 rejected the request because this server's clock is off.",
      "Synchronise this server's clock (NTP), then deliver again."),
  NotImplemented: (f, c) =>
    permanent('NotImplemented', `${describeEndpoint(c)} does not implement a request delivery needs: ${truncate(f.message)}`,
      'Use an S3-compatible store that supports PutObject and multipart uploads.'),
  SlowDown: throttled,
  TooManyRequests: throttled,
  Throttling: throttled,
  ServiceUnavailable: throttled,
  InternalError: (f) => retryable('InternalError', `S3 answered an internal error (HTTP ${f.statusCode ?? 500}).`, RETRY_HINT),
  RequestTimeout: () =>
    retryable('RequestTimeout', 'S3 closed the request because the body arrived too slowly.', RETRY_HINT),
};

/** Errors of HEAD requests have no body, so the SDK names them after the status. */
const ALIASES: Record<string, string> = { Forbidden: 'AccessDenied', NotFound: 'NoSuchBucket', '301': 'PermanentRedirect' };

export function classifyS3Error(error: unknown, context: S3ErrorContext): DeliveryError {
  if (error instanceof S3OperationError) return error.detail;
  const facts = readFacts(error);
  if (facts.socketCode === 'EgressRefused') {
    return { ...permanent('EgressRefused', truncate(facts.message), EGRESS_HINT), statusCode: null };
  }
  const rule = RULES_BY_CODE[ALIASES[facts.name] ?? facts.name];
  if (rule) return { ...rule(facts, context), statusCode: facts.statusCode };
  return { ...classifyByStatusOrSocket(facts, context), statusCode: facts.statusCode };
}

/**
 * Whether S3 says the multipart upload does not exist: already completed or aborted (by us, a
 * lifecycle rule, or another cleaner), which is what aborting it wanted.
 */
export function isNoSuchUpload(error: unknown): boolean {
  const facts = readFacts(error);
  return facts.name === 'NoSuchUpload' || (facts.statusCode === 404 && facts.name === 'NotFound');
}

/** A failure of the body being uploaded (the export), not of S3; the object was not written. */
export function classifyBodyError(error: unknown): DeliveryError {
  if (error instanceof AppError) {
    return { code: error.code, message: error.message, hint: error.hint ?? null, statusCode: null, retryable: error.retryable };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    code: 'BodyStreamFailed',
    message: `Producing the file to upload failed: ${truncate(message)}`,
    hint: 'Nothing was written to the bucket; the delivery is retried.',
    statusCode: null,
    retryable: true,
  };
}

function classifyByStatusOrSocket(facts: ErrorFacts, context: S3ErrorContext): Omit<DeliveryError, 'statusCode'> {
  const status = facts.statusCode;
  if (status === 429 || status === 503) return throttled(facts);
  // An unknown code's text is the endpoint's, not ours: only its status is told back, so the
  // answers of an arbitrary server cannot be read through Squidship.
  if (status !== null && status >= 500) return retryable('UnexpectedResponse', `The endpoint answered HTTP ${status}.`, RETRY_HINT);
  if (status === 408) return RULES_BY_CODE.RequestTimeout!(facts, context);
  if (status !== null && status >= 300) {
    return permanent('UnexpectedResponse', `The endpoint refused the request with HTTP ${status}.`, 'Check that the endpoint is an S3-compatible store and the settings are right.');
  }
  return classifyTransportError(facts, context);
}

/** Nothing answered, or the connection broke: all retryable for deliveries. */
function classifyTransportError(facts: ErrorFacts, context: S3ErrorContext): Omit<DeliveryError, 'statusCode'> {
  const where = describeEndpoint(context);
  const code = facts.socketCode ?? '';
  if (facts.name === 'AbortError' || code === 'ABORT_ERR') {
    return retryable('Aborted', 'The upload was stopped before it finished (shutdown or cancel).', 'Nothing was written; the delivery is taken up again.');
  }
  if (code === 'ECONNREFUSED') {
    return retryable('ConnectionRefused', `Nothing accepts connections at ${where}.`,
      `Check the endpoint ${where}: is the server running and is the port right?`);
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return retryable('EndpointNotFound', `The host of ${where} could not be resolved.`,
      `Check the endpoint ${where} (spelling, DNS) and the region.`);
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    return retryable('EndpointUnreachable', `No network route to ${where}.`,
      `Check that ${where} is reachable from this server (network, firewall, endpoint address).`);
  }
  // Checked before the timeout: the SDK names a reset socket `TimeoutError` too.
  if (['ECONNRESET', 'EPIPE', 'ECONNABORTED'].includes(code) || /socket hang up/i.test(facts.message)) {
    return retryable('ConnectionReset', `The connection to ${where} broke during the request.`, RETRY_HINT);
  }
  if (facts.name === 'TimeoutError' || code === 'ETIMEDOUT' || /timed? ?out/i.test(facts.message)) {
    return retryable('Timeout', `${where} did not answer in time.`,
      `Check that ${where} is reachable from this server (firewall, proxy, endpoint address).`);
  }
  return retryable(facts.name || 'UnknownError', `The S3 request failed: ${truncate(facts.message)}`, null);
}

function throttled(facts: ErrorFacts): Omit<DeliveryError, 'statusCode'> {
  return retryable('SlowDown', `S3 asked to slow down (HTTP ${facts.statusCode ?? 503}).`, RETRY_HINT);
}

function wrongRegion(code: string): Rule {
  return (facts, context) => {
    const right = findRegion(facts);
    const used = context.region ?? 'the default region';
    return permanent(code,
      right ? `Bucket "${context.bucket}" is in region ${right}, not ${used}.` : `Bucket "${context.bucket}" is not in ${used}.`,
      right ? `Set region to "${right}" (or leave it empty so it is discovered).` : 'Set region to the bucket\'s region (S3 console, bucket properties).');
  };
}

function accountDisabled(code: string): Rule {
  return (facts) =>
    permanent(code, `S3 refused the request: ${truncate(facts.message)}`,
      'The AWS account behind these keys cannot use S3 right now: check its status with AWS.');
}

function readFacts(error: unknown): ErrorFacts {
  const record = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const metadata = record.$metadata as { httpStatusCode?: unknown } | undefined;
  const status = typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : null;
  const cause = record.cause as Record<string, unknown> | undefined;
  const socketCode = typeof record.code === 'string' ? record.code : typeof cause?.code === 'string' ? cause.code : null;
  return {
    name: typeof record.Code === 'string' ? record.Code : typeof record.name === 'string' ? record.name : '',
    statusCode: status,
    socketCode,
    message: error instanceof Error ? error.message : String(error),
    raw: error,
  };
}

/** The bucket's region as S3 names it: a header, an XML element, or the message. */
function findRegion(facts: ErrorFacts): string | null {
  const record = (typeof facts.raw === 'object' && facts.raw !== null ? facts.raw : {}) as Record<string, unknown>;
  const fromHeader = readBucketRegionHeader(facts.raw);
  if (fromHeader) return fromHeader;
  if (typeof record.Region === 'string' && record.Region !== '') return record.Region;
  const endpointMatch = typeof record.Endpoint === 'string' ? /s3[.-]([a-z0-9-]+)\.amazonaws\.com/.exec(record.Endpoint) : null;
  if (endpointMatch?.[1]) return endpointMatch[1];
  return /expecting '([a-z0-9-]+)'/.exec(facts.message)?.[1] ?? null;
}

function objectArn(context: S3ErrorContext): string {
  return `arn:aws:s3:::${context.bucket}/${context.targetPath === '' ? '' : `${context.targetPath}/`}*`;
}

function describeEndpoint(context: S3ErrorContext): string {
  if (context.endpoint !== null) return context.endpoint;
  return context.region === null ? 'AWS S3' : `AWS S3 (${context.region})`;
}

function truncate(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}
