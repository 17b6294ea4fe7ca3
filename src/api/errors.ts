// The API's one error table: everything thrown in a request becomes Lobstr's error body
// `{"errors": {"message", "type", "code"}, "detail"}` (the shape Lobstr's own clients parse).
// Bad input is always a 4xx naming the field; 5xx text is hidden and logged.
import type { FastifyError, FastifyReply, FastifyRequest, FastifySchemaValidationError, onRequestHookHandler } from 'fastify';
import { AppError, toError } from '../domain/app-error.js';
import { isDatabaseBusy } from '../storage/database-busy.js';
import { UNSUPPORTED_MEDIA_TYPE_MESSAGE } from './form-bodies.js';

export interface ErrorBody {
  errors: { message: string; type: string; code: number; param?: string };
  detail: string;
}

/**
 * `param` (extension) names the field a 400 is about, so that a form (the dashboard) shows the
 * message next to it; Lobstr's clients read only `message`, `type` and `code`, and ignore it.
 */
export function renderErrorBody(status: number, type: string, message: string, param?: string): ErrorBody {
  const errors = param === undefined ? { message, type, code: status } : { message, type, code: status, param };
  return { errors, detail: message };
}

/** JSON schema of the error body, for the OpenAPI document. */
export const errorBodySchema = {
  type: 'object',
  description: 'Lobstr\'s error shape: `errors.type` is the machine-readable name, `detail` repeats the message.',
  properties: {
    errors: {
      type: 'object',
      properties: {
        message: { type: 'string' },
        type: { type: 'string' },
        code: { type: 'integer' },
        param: { type: 'string', description: 'Squidship extension, on some 400s: the field the error is about (`s3_fields.bucket`).' },
      },
    },
    detail: { type: 'string' },
  },
} as const;

interface Mapped {
  status: number;
  type: string;
  message: string;
  /** The field a 400 names, when known. */
  param?: string;
}

/** Maps anything thrown to status, Lobstr type and message (without logging). */
export function mapError(thrown: unknown, bodyLimitBytes: number): Mapped | null {
  if (thrown instanceof AppError) {
    const param = thrown.status === 400 ? thrown.param : undefined;
    return { status: thrown.status, type: thrown.code, message: thrown.message, ...(param === undefined ? {} : { param }) };
  }
  const error = toError(thrown) as FastifyError;
  if (isDatabaseBusy(error)) {
    return { status: 503, type: 'DatabaseBusy', message: 'The database is busy (another process holds its write lock); retry in a moment.' };
  }
  if (Array.isArray(error.validation)) {
    return mapValidationError(error.validation, error.validationContext ?? 'body');
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, type: 'BadEncoding', message: 'The request body is not valid JSON.' };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, type: 'BadEncoding', message: 'The request body does not match its Content-Length.' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        type: 'FileSizeLimitExceeded',
        message: `The request body is larger than ${bodyLimitBytes} bytes (SQUIDSHIP_MAX_BODY_BYTES); send results as application/x-ndjson, which has no total limit.`,
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, type: 'UnsupportedMediaType', message: UNSUPPORTED_MEDIA_TYPE_MESSAGE };
  }
  const status = error.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return { status, type: 'InvalidParameterValue', message: error.message };
  }
  return null;
}

function mapValidationError(issues: FastifySchemaValidationError[], context: string): Mapped {
  const issue = issues[0];
  if (issue === undefined) return { status: 400, type: 'InvalidParameterValue', message: `Invalid ${context}.` };
  const path = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const params = issue.params as Record<string, unknown>;
  const where = context === 'querystring' ? 'query parameter' : context === 'params' ? 'path parameter' : 'field';
  if (issue.keyword === 'required') {
    const field = joinPath(path, String(params.missingProperty));
    return { status: 400, type: 'ParamsNeeded', message: `A required ${where} ${field} is missing.`, param: field };
  }
  if (issue.keyword === 'additionalProperties') {
    const field = joinPath(path, String(params.additionalProperty));
    return { status: 400, type: 'InvalidParam', message: `Unknown ${where} ${field}: it is not part of this endpoint.`, param: field };
  }
  if (path === '') {
    return { status: 400, type: 'InvalidParameterValue', message: `The ${context === 'body' ? 'request body' : context} ${issue.message ?? 'is invalid'}.` };
  }
  return { status: 400, type: 'InvalidParameterValue', message: `Invalid value for ${where} ${path}: ${issue.message ?? 'invalid'}.`, param: path };
}

function joinPath(parent: string, field: string): string {
  return parent === '' ? field : `${parent}.${field}`;
}

/** Seconds a client waits before retrying a write the busy database refused. */
const DATABASE_BUSY_RETRY_AFTER_S = 2;

export function createErrorHandler(bodyLimitBytes: number) {
  return function handleError(thrown: unknown, request: FastifyRequest, reply: FastifyReply): void {
    if (isClientGone(request)) {
      // A client that hangs up mid-request is routine (a cancelled push, a closed tab), not our failure.
      request.log.info({ err: toError(thrown) }, 'request.aborted');
      return;
    }
    const mapped = mapError(thrown, bodyLimitBytes);
    if (mapped?.type === 'DatabaseBusy') {
      request.log.warn({ err: toError(thrown) }, 'request.database_busy');
      void reply.status(503).header('retry-after', DATABASE_BUSY_RETRY_AFTER_S).send(renderErrorBody(503, mapped.type, mapped.message));
      return;
    }
    if (mapped !== null && mapped.status < 500) {
      request.log.info({ type: mapped.type, status: mapped.status }, 'request.rejected');
      void reply.status(mapped.status).send(renderErrorBody(mapped.status, mapped.type, mapped.message, mapped.param));
      return;
    }
    request.log.error({ err: toError(thrown) }, 'request.failed');
    const status = mapped?.status ?? 500;
    const type = mapped?.type ?? 'SomethingWentWrong';
    void reply.status(status).send(renderErrorBody(status, type, 'Something went wrong on our side; the server log has the details.'));
  };
}

function isClientGone(request: FastifyRequest): boolean {
  return request.raw.aborted || request.raw.socket?.destroyed === true;
}

/** Every answer carries its request's id (the client's X-Request-Id, else ours), for support. */
export const echoRequestId: onRequestHookHandler = (request, reply, done) => {
  void reply.header('x-request-id', request.id);
  done();
};

export function handleNotFound(request: FastifyRequest, reply: FastifyReply): void {
  void reply.status(404).send(renderErrorBody(404, 'NotFound', `Not found: ${request.method} ${request.url.split('?')[0]}.`));
}
