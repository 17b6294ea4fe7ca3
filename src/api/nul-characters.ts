// U+0000 cannot be stored in a PostgreSQL text value: a NUL in a path parameter, a query
// parameter or a JSON body field reached the database and answered 500 there, while SQLite
// stored it. Refusing it up front gives one answer on both databases: a 400 naming where it was.
// Result rows are not checked here: they are streamed (not parsed into request.body) and stored
// as JSON text, where a NUL is the escape \u0000 and round-trips as data.
import type { preValidationHookHandler } from 'fastify';
import { badRequest } from '../domain/app-error.js';

/** The dotted path of the first string (or key) holding U+0000 in a parsed value, or null. */
function findNul(value: unknown): string | null {
  // Iterative: a deeply nested body must not overflow the stack here.
  const pending: [unknown, string][] = [[value, '']];
  while (pending.length > 0) {
    const [current, path] = pending.pop()!;
    if (typeof current === 'string') {
      if (current.includes('\u0000')) return path;
    } else if (Array.isArray(current)) {
      current.forEach((item, index) => pending.push([item, path === '' ? String(index) : `${path}.${index}`]));
    } else if (isPlainObject(current)) {
      for (const [key, item] of Object.entries(current)) {
        const itemPath = path === '' ? key : `${path}.${key}`;
        if (key.includes('\u0000')) return itemPath.replaceAll('\u0000', '\\u0000');
        pending.push([item, itemPath]);
      }
    }
  }
  return null;
}

/** Parsed data (params and query come with their own prototypes), not a streamed body or bytes. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return false;
  return typeof (value as { pipe?: unknown }).pipe !== 'function';
}

export const rejectNulCharacters: preValidationHookHandler = (request, _reply, done) => {
  const parts: [string, unknown][] = [['path parameter', request.params], ['query parameter', request.query], ['field', request.body]];
  for (const [where, value] of parts) {
    const path = findNul(value);
    if (path !== null) {
      done(badRequest('InvalidParameterValue', `The ${where} ${path || '(body)'} contains the character U+0000, which cannot be stored.`, path));
      return;
    }
  }
  done();
};
