// The fuzz suite of issue 15: a real server on a real store gets well over 1,000 generated bad
// requests (every route of the OpenAPI document and the Lobstr paths it leaves out, every body form, bad ids, queries and tokens)
// and must answer none with a 5xx, every error in the documented shape, and store nothing from
// a rejected request. SQUIDSHIP_FUZZ_SEED=<n> replays a run; the seed is printed.
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { afterEach, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { readTestEnv } from '../helpers/test-env.js';
import { createRandom } from '../helpers/seeded-random.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { createTempPostgresStore, createTempSqliteStore, testDatabaseUrl, type TempStore } from '../helpers/temp-store.js';
import { generateRequest, listHiddenOperations, listOperations, type FuzzRequest, type FuzzTargets } from './bad-request-cases.js';
import { openSnapshotter, type StoreSnapshotter } from './store-snapshot.js';

const SEED = Number(process.env.SQUIDSHIP_FUZZ_SEED ?? 20261208);
const REQUESTS = { sqlite: 3000, postgres: 1500 };

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

function send(url: string, fuzz: FuzzRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...fuzz.headers };
    if (fuzz.body !== null) headers['content-length'] = fuzz.body.length;
    const outgoing = httpRequest(url + fuzz.path, { method: fuzz.method, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, contentType: response.headers['content-type'] ?? '', text: Buffer.concat(chunks).toString() }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(fuzz.body ?? undefined);
  });
}

/** What is wrong with an error answer, or null when it has Lobstr's error shape. */
function shapeProblem(method: string, answer: Answer): string | null {
  if (method === 'HEAD') return null;
  if (!answer.contentType.includes('application/json')) return `content type ${answer.contentType || '(none)'}: ${answer.text.slice(0, 200)}`;
  let body: { errors?: { message?: unknown; type?: unknown; code?: unknown }; detail?: unknown };
  try {
    body = JSON.parse(answer.text) as typeof body;
  } catch {
    return `not JSON: ${answer.text.slice(0, 200)}`;
  }
  const errors = body.errors;
  const ok = typeof errors?.message === 'string' && typeof errors.type === 'string' && errors.code === answer.status && typeof body.detail === 'string';
  return ok ? null : `not the error shape: ${answer.text.slice(0, 200)}`;
}

/** A squid with a running run holding two rows, for requests to reach past the id lookups. */
let seeded = 0;
async function seedSquidAndRun(server: TestServer): Promise<{ squidId: string; runId: string }> {
  // Names are unique in an account.
  const squid = await server.request('POST', '/v1/squids', { name: `fuzzed ${++seeded}` });
  const run = await server.request('POST', '/v1/runs', { squid: squid.body.id });
  const pushed = await server.request('POST', `/v1/runs/${run.body.id}/results`, '{"a":1,"n":12345678901234567890}\n{"a":2}\n', { 'content-type': 'application/x-ndjson' });
  expect([squid.status, run.status, pushed.status]).toEqual([200, 200, 200]);
  return { squidId: squid.body.id, runId: run.body.id };
}

async function seed(server: TestServer): Promise<FuzzTargets> {
  const other = await server.createAccountWithToken('other');
  const otherSquid = await server.request('POST', '/v1/squids', { name: 'theirs' }, { authorization: `Token ${other.token}` });
  return { token: server.token, otherToken: other.token, otherSquidId: otherSquid.body.id, ...(await seedSquidAndRun(server)) };
}

async function fuzz(temp: TempStore, count: number): Promise<void> {
  const defaults = loadConfig(readTestEnv(), tmpdir());
  // Rate limits would answer 429 before the routes are reached; they have their own tests.
  const limits = { ...defaults.limits, requestsPerTokenPerMinute: 0, requestsPerIpPerMinute: 0, authFailuresPerIpPerMinute: 0 };
  const server = await startTestServer({ store: temp.store, config: { maxBodyBytes: 1024 * 1024, limits } });
  const snapshotter: StoreSnapshotter = await openSnapshotter(temp);
  try {
    const targets = await seed(server);
    const document = (await server.request('GET', '/openapi.json', undefined, { authorization: '' })).body;
    const documented = listOperations(document);
    const operations = [...documented, ...listHiddenOperations(documented)];
    const random = createRandom(SEED);
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let before = await snapshotter.take();
    for (let i = 0; i < count; i++) {
      const request = generateRequest(random, operations, i, targets);
      const answer = await send(server.url, request);
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      const after = await snapshotter.take();
      const problem =
        answer.status >= 500 ? `${answer.status}: ${answer.text.slice(0, 200)}`
        : answer.status >= 400 ? shapeProblem(request.method, answer) ?? (after === before ? null : 'the store changed')
        : null;
      if (problem !== null) failures.push(`#${i} ${request.label} -> ${problem}`);
      before = after;
      // A request that was accepted may have deleted, emptied or ended the targets: renew them.
      if (answer.status < 300 && request.method !== 'GET' && request.method !== 'HEAD') {
        Object.assign(targets, await seedSquidAndRun(server));
        before = await snapshotter.take();
      }
    }
    console.log(`fuzz [${temp.dialect}] seed ${SEED}: ${count} requests over ${operations.length} operations; statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect(operations.length).toBeGreaterThan(40);
    // Most requests must get past the token check, or the routes behind it were not fuzzed.
    expect(count - (statuses.get(401) ?? 0)).toBeGreaterThan(count / 2);
    expect(failures.slice(0, 25), `seed ${SEED} (SQUIDSHIP_FUZZ_SEED=${SEED} replays it); ${failures.length} failures`).toEqual([]);
  } finally {
    await snapshotter.close();
    await server.close();
  }
}

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

it(`answers ${REQUESTS.sqlite} bad requests on SQLite without a 5xx, in the error shape, storing nothing`, async () => {
  const temp = await createTempSqliteStore();
  cleanup = temp.cleanup;
  await fuzz({ dialect: 'sqlite', ...temp }, REQUESTS.sqlite);
}, 120_000);

it.skipIf(testDatabaseUrl() === null)(`answers ${REQUESTS.postgres} bad requests on PostgreSQL the same way`, async () => {
  const temp = await createTempPostgresStore();
  if (temp === null) throw new Error('TEST_DATABASE_URL is set but no database was made');
  cleanup = temp.cleanup;
  await fuzz({ dialect: 'postgres', ...temp }, REQUESTS.postgres);
}, 120_000);
