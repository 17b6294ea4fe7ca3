// Request body parsers. JSON is buffered up to SQUIDSHIP_MAX_BODY_BYTES, and an empty JSON body
// means "no body" (clients often send the JSON content type on a bodiless POST such as abort).
// NDJSON is never buffered: the raw request stream goes to the route, which ingests it in batches.
import type { FastifyInstance } from 'fastify';

export const NDJSON_CONTENT_TYPE = 'application/x-ndjson';

export function registerBodyParsers(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  // Every Squidship body is JSON or NDJSON: text/plain answers 415 rather than "must be object".
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
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
}
