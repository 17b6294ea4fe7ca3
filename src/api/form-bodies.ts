// Form bodies, as Lobstr's server takes them besides JSON: application/x-www-form-urlencoded
// and multipart/form-data (fields only: Squidship takes no file uploads). Both are parsed with
// the platform (URLSearchParams, undici's FormData), not @fastify/multipart, whose hooks would
// run on every request of every route. Form values are strings, so on a form (never on JSON)
// "true"/"false" and integer strings become booleans and integers where the field takes them.
import type { FastifyInstance, FastifyRequest, preValidationHookHandler, RouteOptions } from 'fastify';
import { AppError } from '../domain/app-error.js';

export const URLENCODED_CONTENT_TYPE = 'application/x-www-form-urlencoded';
export const MULTIPART_CONTENT_TYPE = 'multipart/form-data';

type FieldType = 'boolean' | 'integer';

/**
 * Lobstr's typed body fields, by last dotted segment, for bodies whose schema does not type
 * them (delivery's dotted form, `s3_fields.is_active=true`, is read by its route, not a schema).
 */
const LOBSTR_FIELD_TYPES: Record<string, FieldType> = {
  is_active: 'boolean',
  export_unique_results: 'boolean',
  no_line_breaks: 'boolean',
  to_complete: 'boolean',
  notifications: 'boolean',
  append: 'boolean',
  retry: 'boolean',
  force_path_style: 'boolean',
  concurrency: 'integer',
  port: 'integer',
};

/** Python's requests and httpx encode True/False as "True"/"False". */
const BOOLEAN_TEXTS: Record<string, boolean> = { true: true, True: true, false: false, False: false };

export function registerFormParsers(app: FastifyInstance): void {
  app.addContentTypeParser(URLENCODED_CONTENT_TYPE, { parseAs: 'string' }, async (request: FastifyRequest, text: string) => {
    rejectFormWithoutFields(request, text.length);
    if (text.length === 0) return undefined;
    return collectFields(new URLSearchParams(text));
  });
  app.addContentTypeParser(MULTIPART_CONTENT_TYPE, { parseAs: 'buffer' }, async (request: FastifyRequest, bytes: Buffer) => {
    rejectFormWithoutFields(request, bytes.length);
    if (bytes.length === 0) return undefined;
    return collectFields(await readMultipart(request, bytes));
  });
  app.addHook('onRoute', addFormCoercion);
}

/** Routes without a body schema take no fields (results take JSON or NDJSON rows): 415. An unknown path stays a 404. */
function rejectFormWithoutFields(request: FastifyRequest, lengthBytes: number): void {
  if (lengthBytes > 0 && !request.is404 && request.routeOptions.schema?.body === undefined) throw unsupportedMediaType();
}

export const UNSUPPORTED_MEDIA_TYPE_MESSAGE =
  'Unsupported Content-Type: send application/json, application/x-www-form-urlencoded or multipart/form-data ' +
  '(POST /v1/runs/{id}/results takes application/json or application/x-ndjson).';

export function unsupportedMediaType(): AppError {
  return new AppError('UnsupportedMediaType', UNSUPPORTED_MEDIA_TYPE_MESSAGE, { status: 415 });
}

async function readMultipart(request: FastifyRequest, bytes: Buffer): Promise<Iterable<[string, FormDataEntryValue]>> {
  try {
    const contentType = request.headers['content-type'] ?? MULTIPART_CONTENT_TYPE;
    return await new Response(new Blob([new Uint8Array(bytes)]), { headers: { 'content-type': contentType } }).formData();
  } catch (error) {
    throw new AppError('BadEncoding', 'The request body is not valid multipart/form-data.', { status: 400, cause: error });
  }
}

/** Fields as an object; a repeated name gives an array. Own properties even for "__proto__". */
function collectFields(entries: Iterable<[string, FormDataEntryValue]>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of entries) {
    if (typeof value !== 'string') {
      throw new AppError('InvalidParam', `The field ${name} is a file: Squidship takes no file uploads, only form fields.`, { param: name });
    }
    const previous = Object.hasOwn(fields, name) ? fields[name] : undefined;
    const next = previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value];
    Object.defineProperty(fields, name, { value: next, enumerable: true, writable: true, configurable: true });
  }
  return fields;
}

function isFormRequest(request: FastifyRequest): boolean {
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  return mediaType === URLENCODED_CONTENT_TYPE || mediaType === MULTIPART_CONTENT_TYPE;
}

/** Attached only to routes with a body schema, so that other routes run no hook for it. */
function addFormCoercion(route: RouteOptions): void {
  const schema = route.schema?.body as { properties?: Record<string, { type?: unknown }> } | undefined;
  if (schema === undefined) return;
  const coerce: preValidationHookHandler = (request, _reply, done) => {
    const body = request.body;
    if (isFormRequest(request) && typeof body === 'object' && body !== null) coerceFormFields(body as Record<string, unknown>, schema);
    done();
  };
  const existing = route.preValidation;
  route.preValidation = existing === undefined ? [coerce] : [...(Array.isArray(existing) ? existing : [existing]), coerce];
}

export function coerceFormFields(fields: Record<string, unknown>, schema: { properties?: Record<string, { type?: unknown }> }): void {
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value !== 'string') continue;
    const type = readFieldType(name, schema);
    if (type === 'boolean' && Object.hasOwn(BOOLEAN_TEXTS, value)) fields[name] = BOOLEAN_TEXTS[value];
    if (type === 'integer' && /^-?\d{1,15}$/.test(value)) fields[name] = Number(value);
  }
}

function readFieldType(name: string, schema: { properties?: Record<string, { type?: unknown }> }): FieldType | undefined {
  const declared = schema.properties?.[name]?.type;
  if (declared === 'boolean' || declared === 'integer') return declared;
  // Webhook events are booleans named "run.done" and so on: webhook_fields.events.run.done.
  if (name.includes('.events.')) return 'boolean';
  const field = name.slice(name.lastIndexOf('.') + 1);
  return Object.hasOwn(LOBSTR_FIELD_TYPES, field) ? LOBSTR_FIELD_TYPES[field] : undefined;
}
