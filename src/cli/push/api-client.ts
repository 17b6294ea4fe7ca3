// The few Squidship API calls the CLI makes (push, run abort, run complete), over Node's fetch. Error answers are read in the
// Lobstr shape {"errors": {"message", "type", "code"}, "detail"} and become AppErrors.
import { AppError } from '../../domain/app-error.js';

export interface ApiClientOptions {
  /** e.g. http://127.0.0.1:8080 (no trailing slash needed). */
  baseUrl: string;
  token: string;
}

export interface ApiClient {
  startRun(squidId: string): Promise<{ id: string }>;
  /** Streams NDJSON into the run; resolves with the server's answer. */
  appendResults(runId: string, body: AsyncIterable<Buffer>): Promise<Record<string, unknown>>;
  completeRun(runId: string): Promise<Record<string, unknown>>;
  abortRun(runId: string): Promise<Record<string, unknown>>;
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');

  async function call(method: string, path: string, init: RequestInit): Promise<Record<string, unknown>> {
    let response: Response;
    try {
      response = await fetch(baseUrl + path, {
        ...init,
        method,
        headers: { authorization: `Token ${options.token}`, accept: 'application/json', ...init.headers },
      });
    } catch (error) {
      const reason = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      throw new AppError('ServerUnreachable', `cannot reach Squidship at ${baseUrl}: ${reason}`, {
        retryable: true,
        cause: error,
        hint: 'is the server running, and is SQUIDSHIP_URL right?',
      });
    }
    const text = await response.text();
    const body = parseJsonObject(text);
    if (!response.ok) throw toApiError(response, body, text);
    if (body === null) throw new AppError('BadResponse', `${method} ${path} answered ${response.status} with a body that is not a JSON object`);
    return body;
  }

  return {
    async startRun(squidId) {
      const run = await call('POST', '/v1/runs', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ squid: squidId }),
      });
      if (typeof run.id !== 'string') throw new AppError('BadResponse', 'POST /v1/runs answered a run without an id');
      return { id: run.id };
    },
    appendResults(runId, body) {
      return call('POST', `/v1/runs/${encodeURIComponent(runId)}/results`, {
        headers: { 'content-type': 'application/x-ndjson' },
        // fetch takes any async iterable as a streamed body; duplex 'half' is required for it.
        body: body as unknown as BodyInit,
        duplex: 'half',
      } as RequestInit);
    },
    completeRun(runId) {
      return call('POST', `/v1/runs/${encodeURIComponent(runId)}/complete`, {});
    },
    abortRun(runId) {
      return call('POST', `/v1/runs/${encodeURIComponent(runId)}/abort`, {});
    },
  };
}

function parseJsonObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    // Not JSON (a proxy's HTML error page, say): the caller reports the status and text instead.
    return null;
  }
}

function toApiError(response: Response, body: Record<string, unknown> | null, text: string): AppError {
  const errors = body?.errors;
  const details = typeof errors === 'object' && errors !== null ? (errors as Record<string, unknown>) : {};
  const type = typeof details.type === 'string' ? details.type : `HTTP${response.status}`;
  const message =
    typeof details.message === 'string'
      ? details.message
      : typeof body?.detail === 'string'
        ? body.detail
        : `HTTP ${response.status} ${response.statusText}${text === '' ? '' : `: ${text.slice(0, 200)}`}`;
  return new AppError(type, message, { status: response.status });
}
