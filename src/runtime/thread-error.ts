// Errors crossing a thread boundary: a structured clone of an AppError arrives as a plain Error
// (its code, status and retryability lost), so every thread sends this form and the receiving
// side revives it. The export thread, the NDJSON parse thread and the WAL checkpoint thread use it.
import { AppError } from '../domain/app-error.js';

/** An error as a message can carry it: an AppError's fields, or a plain error's message. */
export interface SerializedError {
  message: string;
  /** Present for an AppError only. */
  code?: string;
  status?: number;
  retryable?: boolean;
  hint?: string;
  param?: string;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof AppError) {
    const { message, code, status, retryable, hint, param } = error;
    return { message, code, status, retryable, ...(hint === undefined ? {} : { hint }), ...(param === undefined ? {} : { param }) };
  }
  if (error instanceof Error) {
    // A SqliteError's code (SQLITE_BUSY, ...) says more than its message alone.
    const code = (error as { code?: unknown }).code;
    return { message: typeof code === 'string' ? `${error.message} (${code})` : error.message };
  }
  return { message: typeof error === 'object' && error !== null ? JSON.stringify(error) : String(error) };
}

/** The error again: an AppError when one was sent, else an Error whose message names the thread. */
export function reviveError(serialized: SerializedError, threadName: string): Error {
  if (serialized.code === undefined) return new Error(`the ${threadName} failed: ${serialized.message}`);
  return new AppError(serialized.code, serialized.message, {
    status: serialized.status,
    retryable: serialized.retryable,
    hint: serialized.hint,
    param: serialized.param,
  });
}
