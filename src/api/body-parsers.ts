// Request body parsers. JSON is buffered up to SQUIDSHIP_MAX_BODY_BYTES, and an empty JSON body
// means "no body" (clients often send the JSON content type on a bodiless POST such as abort).
// NDJSON is never buffered: the raw request stream goes to the route, which ingests it in batches.
// Forms (form-bodies.ts) are taken as Lobstr's server takes them. Any other media type is a 415,
// unless the body is empty: `curl -d ''` and SDKs send a content type on bodiless POSTs.
// JSON and NDJSON are read as UTF-8 only: another declared charset is a 415 naming it.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../domain/app-error.js';
import { registerFormParsers, unsupportedMediaType } from './form-bodies.js';

export const NDJSON_CONTENT_TYPE = 'application/x-ndjson';

const UTF8_NAMES: ReadonlySet<string> = new Set(['utf-8', 'utf8']);

/**
 * A 415 when the Content-Type declares a charset other than UTF-8 (else null): such a body
 * (UTF-16, Latin-1) read as UTF-8 would be stored garbled, or refused for the wrong reason.
 */
export function findCharsetError(contentType: string | undefined): AppError | null {
  for (const parameter of (contentType ?? '').split(';').slice(1)) {
    const [name = '', value = ''] = parameter.split('=', 2);
    if (name.trim().toLowerCase() !== 'charset') continue;
    const charset = value.trim().replace(/^"(.*)"$/, '$1');
    if (UTF8_NAMES.has(charset.toLowerCase())) continue;
    return new AppError(
      'UnsupportedMediaType',
      `charset=${charset} is not supported: send the body as UTF-8 (charset=utf-8, or no charset).`,
      { status: 415, param: 'content-type' },
    );
  }
  return null;
}

export function registerBodyParsers(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  // text/plain falls to the catch-all below: a 415 rather than "must be object".
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const charsetError = findCharsetError(request.headers['content-type']);
    if (charsetError !== null) {
      done(charsetError, undefined);
      return;
    }
    const text = body.toString();
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    void parseJson(request, text, done);
  });
  app.addContentTypeParser(NDJSON_CONTENT_TYPE, (_request, payload, done) => {
    done(null, payload);
  });
  registerFormParsers(app);
  app.addContentTypeParser('*', (request, payload, done) => {
    // An unknown path answers 404 whatever it was sent.
    if (request.headers['content-length'] === '0' || request.is404) {
      done(null, undefined);
      return;
    }
    // A chunked body may still be empty: read until its first byte or its end.
    let settled = false;
    const settle = (error: Error | null) => {
      if (settled) return;
      settled = true;
      done(error, undefined);
    };
    payload.on('data', (chunk: Buffer) => {
      if (chunk.length > 0) settle(unsupportedMediaType());
    });
    payload.on('end', () => settle(null));
    payload.on('error', (error) => settle(error));
  });
}
