import { expect, it } from 'vitest';
import { AppError } from '../../src/domain/app-error.js';
import { BUILT_IN_CRAWLER } from '../../src/domain/crawlers.js';
import type { Run } from '../../src/domain/types.js';
import { ingestResults } from '../../src/ingest/ingest-results.js';
import { parseJsonArrayRows } from '../../src/ingest/json-rows.js';
import { parseNdjsonRows, type ParsedBatch } from '../../src/ingest/ndjson-rows.js';
import type { Store } from '../../src/storage/store.js';
import { describeEachDialect } from '../helpers/temp-store.js';
import { pollUntil } from '../helpers/poll-until.js';

const NOW_MS = Date.UTC(2025, 4, 6, 7, 8, 9);
const parseOptions = { maxRowBytes: 4096, batchRows: 10, now: () => NOW_MS };

async function startRun(store: Store): Promise<{ run: Run; accountId: string }> {
  const account = await store.createAccount({ name: 'acme', email: 'ops@acme.test', nowMs: NOW_MS });
  const squid = await store.createSquid({ accountId: account.id, crawlerId: BUILT_IN_CRAWLER.id, name: 'shops', nowMs: NOW_MS });
  const run = await store.startRun({ accountId: account.id, squidId: squid.id, nowMs: NOW_MS });
  return { run, accountId: account.id };
}

async function* linesOf(lines: string[], onLine?: (index: number) => Promise<void>): AsyncGenerator<Buffer> {
  for (let index = 0; index < lines.length; index++) {
    await onLine?.(index);
    yield Buffer.from(`${lines[index]}\n`);
  }
}

function rowLines(count: number, offset = 0): string[] {
  return Array.from({ length: count }, (_, i) => JSON.stringify({ n: offset + i, name: `item ${offset + i}` }));
}

/** What a user of the API would see of the run: totals, rows and columns. */
async function visibleState(store: Store, accountId: string, runId: string) {
  const run = await store.getRun(accountId, runId);
  const results = await store.listResults(accountId, { runId }, { limit: 100, offset: 0 });
  return {
    total: run?.totalResults,
    unique: run?.totalUniqueResults,
    rows: results.items.map((row) => row.data),
    columns: await store.getRunColumns(runId),
  };
}

/** A few turns of the event loop: long enough for a parser that is free to run to read on. */
async function settleEventLoop(): Promise<void> {
  for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the ingest to fail');
    },
    (error: unknown) => error,
  );
}

describeEachDialect('ingestResults', (getStore) => {
  it('commits every batch of a request and returns the accepted count and the new totals', async () => {
    const store = getStore();
    const { run, accountId } = await startRun(store);
    const lines = [...rowLines(25), '{"n":1,"name":"item 1"}', '{"late":"column"}'];
    const outcome = await ingestResults({ store, runId: run.id, batches: parseNdjsonRows(linesOf(lines), parseOptions) });
    expect(outcome.accepted).toBe(27);
    expect(outcome.run.totalResults).toBe(27);
    expect(outcome.run.totalUniqueResults).toBe(26);
    const state = await visibleState(store, accountId, run.id);
    expect(state.rows).toEqual(lines);
    expect(state.columns).toEqual(['n', 'name', 'late']);
  });

  it('accepts an empty body: nothing added', async () => {
    const store = getStore();
    const { run } = await startRun(store);
    const outcome = await ingestResults({ store, runId: run.id, batches: parseNdjsonRows(linesOf(['', '  ']), parseOptions) });
    expect(outcome.accepted).toBe(0);
    expect(outcome.run.totalResults).toBe(0);
  });

  it('accepts JSON array bodies and adds to earlier requests', async () => {
    const store = getStore();
    const { run, accountId } = await startRun(store);
    await ingestResults({ store, runId: run.id, batches: parseJsonArrayRows(linesOf(['[{"a":1}]']), parseOptions) });
    const outcome = await ingestResults({ store, runId: run.id, batches: parseJsonArrayRows(linesOf(['[{"b":2},', '{"a":1}]']), parseOptions) });
    expect(outcome.accepted).toBe(2);
    expect(outcome.run.totalResults).toBe(3);
    expect(await visibleState(store, accountId, run.id)).toEqual({
      total: 3,
      unique: 2,
      rows: ['{"a":1}', '{"b":2}', '{"a":1}'],
      columns: ['a', 'b'],
    });
  });

  it('keeps nothing of a request whose line 35 is bad, after three batches were appended', async () => {
    const store = getStore();
    const { run, accountId } = await startRun(store);
    await ingestResults({ store, runId: run.id, batches: parseNdjsonRows(linesOf(rowLines(3)), parseOptions) });
    const before = await visibleState(store, accountId, run.id);

    const lines = [...rowLines(34, 100).map((line, i) => (i === 20 ? '{"fresh":"column"}' : line)), '{"broken":'];
    const error = await failureOf(ingestResults({ store, runId: run.id, batches: parseNdjsonRows(linesOf(lines), parseOptions) }));
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).message).toMatch(/^line 35: invalid JSON/);
    expect(await visibleState(store, accountId, run.id)).toEqual(before);
    expect(before.total).toBe(3);
  });

  it('keeps nothing when the client disconnects in the middle of the body', async () => {
    const store = getStore();
    const { run, accountId } = await startRun(store);
    const hangUp = async (index: number): Promise<void> => {
      if (index === 25) throw new Error('aborted: client closed the connection');
    };
    const batches = parseNdjsonRows(linesOf(rowLines(40), hangUp), parseOptions);
    const error = await failureOf(ingestResults({ store, runId: run.id, batches }));
    expect((error as Error).message).toContain('client closed');
    expect(await visibleState(store, accountId, run.id)).toEqual({ total: 0, unique: 0, rows: [], columns: [] });
  });

  it('keeps nothing when the run stops while the request streams in', async () => {
    const store = getStore();
    const { run, accountId } = await startRun(store);
    const completeMidway = async (index: number): Promise<void> => {
      if (index !== 15) return;
      const input = { accountId, runId: run.id, reason: 'tasks_done' as const, nowMs: NOW_MS, exportFileName: 'shops_20250506_0708_x' };
      await store.completeRun(input, () => []);
    };
    const batches = parseNdjsonRows(linesOf(rowLines(30), completeMidway), parseOptions);
    const error = await failureOf(ingestResults({ store, runId: run.id, batches }));
    expect((error as AppError).code).toBe('RunNotRunning');
    const state = await visibleState(store, accountId, run.id);
    expect(state).toEqual({ total: 0, unique: 0, rows: [], columns: [] });
  });
  it('parses the next batch while the store appends one, with one append in flight at most', async () => {
    const store = getStore();
    const { run, accountId } = await startRun(store);
    let linesRead = 0;
    let appending = 0;
    let mostAppending = 0;
    let linesReadWhileHeld = -1;
    const observed: Store = {
      ...store,
      async appendIngestRows(ingestId, rows) {
        mostAppending = Math.max(mostAppending, ++appending);
        if (linesReadWhileHeld === -1) {
          // Held until the parser has read batch 2 (lines 11 to 20), which it does only if it runs meanwhile.
          await pollUntil(() => linesRead >= 20, { timeoutMs: 5000, intervalMs: 5, what: '20 lines read' });
          await settleEventLoop();
          linesReadWhileHeld = linesRead;
        }
        try {
          await store.appendIngestRows(ingestId, rows);
        } finally {
          appending--;
        }
      },
    };
    const lines = rowLines(35);
    const countLine = async (index: number): Promise<void> => {
      linesRead = index + 1;
    };
    const outcome = await ingestResults({ store: observed, runId: run.id, batches: parseNdjsonRows(linesOf(lines, countLine), parseOptions) });
    expect(outcome.accepted).toBe(35);
    // One batch parsed ahead and no more: the parser waits for the store.
    expect(linesReadWhileHeld).toBe(20);
    expect(mostAppending).toBe(1);
    expect((await visibleState(store, accountId, run.id)).rows).toEqual(lines);
  });

  it('lets the append in flight finish before discarding the request for a bad line', async () => {
    const store = getStore();
    const { run, accountId } = await startRun(store);
    const events: string[] = [];
    let sourceClosed = false;
    async function* body(): AsyncGenerator<Buffer> {
      try {
        yield* linesOf([...rowLines(15), '{"broken":']);
      } finally {
        sourceClosed = true;
      }
    }
    const observed: Store = {
      ...store,
      async appendIngestRows(ingestId, rows) {
        events.push('append');
        // Held until the parser has failed on line 16 and closed the body.
        await pollUntil(() => sourceClosed, { timeoutMs: 5000, intervalMs: 5, what: 'the source to close' });
        await store.appendIngestRows(ingestId, rows);
        events.push('appended');
      },
      async discardIngest(ingestId) {
        events.push('discard');
        await store.discardIngest(ingestId);
      },
    };
    const error = await failureOf(ingestResults({ store: observed, runId: run.id, batches: parseNdjsonRows(body(), parseOptions) }));
    expect((error as AppError).message).toMatch(/^line 16: invalid JSON/);
    expect(events).toEqual(['append', 'appended', 'discard']);
    expect(await visibleState(store, accountId, run.id)).toEqual({ total: 0, unique: 0, rows: [], columns: [] });
  });

  it('stops reading at a failed append and keeps nothing of the request', async () => {
    const store = getStore();
    const { run, accountId } = await startRun(store);
    let linesRead = 0;
    // Line 16: the ingest is swept away as if its process had crashed; the next append fails.
    const sweepMidway = async (index: number): Promise<void> => {
      linesRead = index + 1;
      if (index === 15) expect(await store.discardStaleIngests({ heartbeatBeforeMs: NOW_MS + 1, nowMs: NOW_MS + 1 })).toBe(1);
    };
    const batches = parseNdjsonRows(linesOf(rowLines(60), sweepMidway), parseOptions);
    const error = await failureOf(ingestResults({ store, runId: run.id, batches, nowMs: NOW_MS }));
    expect((error as AppError).code).toBe('IngestNotOpen');
    expect(linesRead).toBeLessThanOrEqual(30);
    expect(await visibleState(store, accountId, run.id)).toEqual({ total: 0, unique: 0, rows: [], columns: [] });
  });

  it('releases each batch once, after the store has its rows, also when its append failed', async () => {
    const store = getStore();
    const { run, accountId } = await startRun(store);
    const events: string[] = [];
    const observed: Store = Object.create(store) as Store;
    observed.appendIngestRows = async (ingestId, rows) => {
      events.push(`append ${rows.length}`);
      await store.appendIngestRows(ingestId, rows);
      events.push('appended');
    };
    async function* releasing(batches: AsyncIterable<ParsedBatch>): AsyncGenerator<ParsedBatch> {
      let index = 0;
      for await (const batch of batches) {
        const name = `release ${index++}`;
        yield { ...batch, release: () => events.push(name) };
      }
    }
    await ingestResults({ store: observed, runId: run.id, batches: releasing(parseNdjsonRows(linesOf(rowLines(25)), parseOptions)) });
    expect(events).toEqual(['append 10', 'appended', 'release 0', 'append 10', 'appended', 'release 1', 'append 5', 'appended', 'release 2']);

    events.length = 0;
    const sweepFirst = async (index: number): Promise<void> => {
      if (index === 0) await store.discardStaleIngests({ heartbeatBeforeMs: Number.MAX_SAFE_INTEGER, nowMs: NOW_MS });
    };
    const error = await failureOf(ingestResults({ store: observed, runId: run.id, batches: releasing(parseNdjsonRows(linesOf(rowLines(15), sweepFirst), parseOptions)), nowMs: NOW_MS }));
    expect((error as AppError).code).toBe('IngestNotOpen');
    expect(events).toEqual(['append 10', 'release 0']);
    expect((await visibleState(store, accountId, run.id)).total).toBe(25);
  });
});
