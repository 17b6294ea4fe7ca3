import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/app-error.js';
import { reviveError, serializeError } from '../../src/runtime/thread-error.js';

describe('serializeError / reviveError', () => {
  it('carries an AppError across a structured clone with its code, status, retryability, hint and param', () => {
    const sent = new AppError('StoredRowUnreadable', 'row 3 is broken', { status: 500, retryable: false, hint: 'Push it again.', param: 'line 3' });
    const revived = reviveError(structuredClone(serializeError(sent)), 'export thread');
    expect(revived).toBeInstanceOf(AppError);
    expect(revived).toMatchObject({ code: 'StoredRowUnreadable', message: 'row 3 is broken', status: 500, retryable: false, hint: 'Push it again.', param: 'line 3' });
  });

  it('keeps a retryable AppError retryable', () => {
    const revived = reviveError(serializeError(new AppError('Busy', 'later', { status: 503, retryable: true })), 'x');
    expect(revived).toMatchObject({ code: 'Busy', status: 503, retryable: true });
  });

  it('names the thread in a plain error and keeps a system error code', () => {
    const error = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    const revived = reviveError(serializeError(error), 'WAL checkpoint thread');
    expect(revived).not.toBeInstanceOf(AppError);
    expect(revived.message).toBe('the WAL checkpoint thread failed: database is locked (SQLITE_BUSY)');
    expect(reviveError(serializeError('boom'), 'export thread').message).toBe('the export thread failed: boom');
  });
});
