// Generates hostile requests for the fuzz suite from the app's own OpenAPI document, so a route
// added later is fuzzed without editing this file. Every choice comes from one seeded generator:
// the same seed gives the same requests.
import { pick, type Random } from '../helpers/seeded-random.js';
import { LOBSTR_TEST_ROUTES } from '../../src/api/routes/delivery.js';
import { NOT_SUPPORTED } from '../../src/api/routes/not-supported.js';

export interface Operation {
  method: string;
  /** OpenAPI path, e.g. /v1/squids/{id}. */
  path: string;
  /** Body property names and their declared types (from the request body schema, if any). */
  bodyFields: Record<string, string>;
  queryNames: string[];
}

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer | null;
  /** What was varied, printed on failure with the seed. */
  label: string;
}

/** Real ids and tokens, so some requests reach the handlers behind the id and token checks. */
export interface FuzzTargets {
  token: string;
  otherToken: string;
  squidId: string;
  runId: string;
  otherSquidId: string;
}

interface OpenApiOperation {
  parameters?: { in: string; name: string }[];
  requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, { type?: string }> } }> };
}

export function listOperations(document: { paths: Record<string, Record<string, OpenApiOperation>> }): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const schema = operation.requestBody?.content?.['application/json']?.schema;
      const bodyFields = Object.fromEntries(Object.entries(schema?.properties ?? {}).map(([name, field]) => [name, field.type ?? 'any']));
      const queryNames = (operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      operations.push({ method: method.toUpperCase(), path, bodyFields, queryNames });
    }
  }
  return operations;
}

/**
 * The Lobstr paths the document leaves out because they only ever answer 400 (tasks, squid
 * emptying, delivery tests of channels this server lacks): from the route tables, like the
 * auth coverage test, so that every route the server answers is fuzzed.
 */
export function listHiddenOperations(documented: Operation[]): Operation[] {
  const known = new Set(documented.map((operation) => `${operation.method} ${operation.path}`));
  const hidden: Operation[] = [
    ...NOT_SUPPORTED.map(({ method, url }) => ({ method, path: `/v1${url.replaceAll(':id', '{id}')}`, bodyFields: {}, queryNames: [] })),
    ...Object.keys(LOBSTR_TEST_ROUTES).map((route) => ({ method: 'POST', path: `/v1/delivery/${route}`, bodyFields: { url: 'string' }, queryNames: [] })),
  ];
  return hidden.filter((operation) => !known.has(`${operation.method} ${operation.path}`));
}

const BAD_IDS = [
  'not-an-id', '0', '-1', 'g'.repeat(32), '0'.repeat(31), '0'.repeat(33), 'A'.repeat(32), 'x'.repeat(101), 'x'.repeat(5000),
  '%00', '%ff%fe', '%zz', '..%2f..%2fetc', '%E2%80%AE', "1'%20OR%201=1", '%7B%7D', 'null', '1e99',
];

const BAD_QUERY_VALUES = [
  '', '-1', '0', 'abc', '1e18', '1000000000000000000', '99999999999999999999999', '1.5', 'NaN', 'Infinity', '%zz', '%ff',
  'x'.repeat(3000), 'true', '[]', '%00', '0x10',
];

const WRONG_VALUES: unknown[] = [
  null, true, false, 0, -1, 1.5, 1e308, -0, '', 'x'.repeat(10_000), [], [1, 2], {}, { nested: { deeper: [] } }, '\u0000', '\ud800',
  '12345678901234567890', 'http://169.254.169.254/latest', 'http://[::1]:1/', 'file:///etc/passwd',
];

function badTokenHeader(random: Random, targets: FuzzTargets): Record<string, string> {
  // Mostly the right token, so the bad body, id or query reaches the handler behind the check.
  if (random() < 0.6) return { authorization: `Token ${targets.token}` };
  return pick<Record<string, string>>(random, [
    {},
    { authorization: 'Token ' },
    { authorization: 'Token not-a-token' },
    { authorization: `Token ${targets.token}x` },
    { authorization: `Token ${targets.token.slice(0, -1)}` },
    { authorization: `Bearer ${targets.token}` },
    { authorization: targets.token },
    { authorization: `Token ${'a'.repeat(8000)}` },
    { authorization: `Token ${targets.token}, Token ${targets.token}` },
    { authorization: `Token ${targets.otherToken}` },
  ]);
}

function fillPath(random: Random, path: string, targets: FuzzTargets): string {
  return path.replace(/\{[^}]+\}/g, () =>
    pick(random, [targets.squidId, targets.runId, targets.otherSquidId, ...BAD_IDS]),
  );
}

function buildQuery(random: Random, operation: Operation): string {
  const names = [...operation.queryNames, 'page', 'limit', 'unknown_param', 'squid', 'run', '__proto__'];
  const count = Math.floor(random() * 3);
  const pairs: string[] = [];
  for (let i = 0; i < count; i++) pairs.push(`${pick(random, names)}=${pick(random, BAD_QUERY_VALUES)}`);
  if (random() < 0.05) pairs.push('page=1&page=2');
  return pairs.length === 0 ? '' : `?${pairs.join('&')}`;
}

function nested(depth: number): string {
  return `{"v":${'['.repeat(depth)}1${']'.repeat(depth)}}`;
}

/** A JSON object with wrong types for the operation's fields and some unknown keys. */
function wrongObject(random: Random, operation: Operation): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const name of Object.keys(operation.bodyFields)) {
    if (random() < 0.6) object[name] = pick(random, WRONG_VALUES);
  }
  if (random() < 0.5) object[pick(random, ['unknown_key', 'params', 'cron_expression', 'id', 'account_id'])] = pick(random, WRONG_VALUES);
  return object;
}

interface Body {
  contentType: string | null;
  body: Buffer | null;
  form: string;
}

function json(contentType: string, text: string, form: string): Body {
  return { contentType, body: Buffer.from(text), form };
}

// One generator per body form; each returns the content type, the bytes and a label.
const BODY_FORMS: ((random: Random, operation: Operation) => Body)[] = [
  (r, op) => json('application/json', JSON.stringify(wrongObject(r, op)), 'json-wrong-types'),
  (r, op) => json('application/json', JSON.stringify([wrongObject(r, op), 1, null]), 'json-array'),
  () => json('application/json', '', 'json-empty'),
  (r, op) => json('application/json', JSON.stringify(wrongObject(r, op)).slice(0, -1 - Math.floor(r() * 5)), 'json-truncated'),
  () => json('application/json', nested(5000), 'json-deep'),
  () => json('application/json', '{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}}}', 'json-proto'),
  () => json('application/json', 'null', 'json-null'),
  () => json('application/json', '"a string"', 'json-string'),
  () => json('application/json', '12345678901234567890', 'json-number'),
  () => json('application/json; charset=utf-16', '{"name":"x"}', 'json-utf16'),
  () => ({ contentType: 'application/json', body: Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), form: 'json-invalid-utf8' }),
  () => json('application/json', `{"name":"${'x'.repeat(1_200_000)}"}`, 'json-huge'),
  (r, op) => json('application/x-ndjson', `${JSON.stringify(wrongObject(r, op))}\n{bad json}\n`, 'ndjson-bad-line'),
  () => json('application/x-ndjson', `{"a":1}\n${nested(5000)}\n`, 'ndjson-deep'),
  () => json('application/x-ndjson', '[1,2]\n"x"\nnull\n', 'ndjson-not-objects'),
  () => ({ contentType: 'application/x-ndjson', body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d, 0x0a]), form: 'ndjson-invalid-utf8' }),
  () => json('application/x-ndjson; charset=utf-16', '{"a":1}\n', 'ndjson-utf16'),
  () => json('application/x-ndjson', '{"a":1}\n{"a":', 'ndjson-truncated'),
  () => json('application/x-ndjson', `{"a":"${'y'.repeat(2_000_000)}"}\n`, 'ndjson-huge-line'),
  (r, op) => json('application/x-www-form-urlencoded', new URLSearchParams(Object.entries(wrongObject(r, op)).map(([k, v]) => [k, String(v)])).toString() + '&%zz=%ff', 'form-urlencoded'),
  () => json('multipart/form-data; boundary=XYZ', '--XYZ\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.json"\r\n\r\n{"a":1}\r\n', 'multipart-unterminated'),
  () => json('multipart/form-data', '--\r\n', 'multipart-no-boundary'),
  (r, op) => json('text/plain', JSON.stringify(wrongObject(r, op)), 'text-plain'),
  () => json('application/xml', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', 'xml'),
  () => ({ contentType: 'application/octet-stream', body: Buffer.from([0, 1, 2, 255, 254]), form: 'octet-stream' }),
  () => ({ contentType: 'no/such;;;=', body: Buffer.from('{}'), form: 'garbage-content-type' }),
  () => ({ contentType: null, body: Buffer.from('{"name":"x"}'), form: 'no-content-type' }),
  () => ({ contentType: null, body: null, form: 'no-body' }),
];

/** The `index`-th request: operations in turn (every one covered), everything else drawn at random. */
export function generateRequest(random: Random, operations: readonly Operation[], index: number, targets: FuzzTargets): FuzzRequest {
  const operation = operations[index % operations.length] as Operation;
  const path = fillPath(random, operation.path, targets) + buildQuery(random, operation);
  const headers = badTokenHeader(random, targets);
  // GET and HEAD carry no body in practice; send one anyway now and then.
  const sendsBody = !['GET', 'HEAD'].includes(operation.method) || random() < 0.1;
  const body = sendsBody ? pick(random, BODY_FORMS)(random, operation) : { contentType: null, body: null, form: 'none' };
  if (body.contentType !== null) headers['content-type'] = body.contentType;
  const method = random() < 0.03 ? pick(random, ['PUT', 'PATCH', 'OPTIONS', 'TRACE', 'DELETE']) : operation.method;
  const token = headers.authorization === undefined ? 'none' : headers.authorization.slice(0, 12);
  return { method, path, headers, body: body.body, label: `${method} ${path.slice(0, 120)} [${body.form}] [auth ${token}…]` };
}
