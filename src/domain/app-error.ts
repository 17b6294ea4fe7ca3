// The one error type of Squidship. Each edge (API, CLI, worker) maps it from one table.

/**
 * `code` is the machine-readable name; for API errors it is the Lobstr error `type`
 * (NotAuthenticated, ParamsNeeded, InvalidParameterValue, SquidDoesNotExistException, ...).
 */
export interface AppErrorOptions {
  /** HTTP status for the API edge. Default 400. */
  status?: number;
  /** Whether trying the same thing again later may succeed. Default false. */
  retryable?: boolean;
  cause?: unknown;
  /** The field or parameter the error is about, when there is one. */
  param?: string;
  /** A sentence naming the fix, shown to users (never contains secrets). */
  hint?: string;
}

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly retryable: boolean;
  readonly param: string | undefined;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = options.status ?? 400;
    this.retryable = options.retryable ?? false;
    this.param = options.param;
    this.hint = options.hint;
  }
}

/** Coerces anything thrown into an Error, keeping the original as `cause`. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === 'string' ? thrown : JSON.stringify(thrown), { cause: thrown });
}

export function notFound(code: string, message: string, param?: string): AppError {
  return new AppError(code, message, { status: 404, param });
}

export function badRequest(code: string, message: string, param?: string): AppError {
  return new AppError(code, message, { status: 400, param });
}
