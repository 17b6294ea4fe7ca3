// Issue 15 item 4: a signed download whose export fails. A failure in the file's first MiB (all
// of most files) answers an error in the documented shape before any byte, never 200; one past
// it cuts the connection mid-body, so the client sees a chunked body without its last chunk.
import { get } from 'node:http';
import { afterEach, expect, it } from 'vitest';
import { purgeRunResults } from '../helpers/raw-sql.js';
import { describeEachDialect, type TempStore } from '../helpers/temp-store.js';
import { startDeliveryFixture, type DeliveryFixture } from './delivery-fixture.js';

/** A row that was stored but that no export can read (nested past the readers' limit). */
const UNREADABLE = `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`;

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** Whether the body arrived whole (its last chunk, or all of its Content-Length). */
  complete: boolean;
}

/** GET with node:http, which tells a body cut mid-way from a whole one. */
function fetchRaw(url: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      // 'close' comes after 'end' for a whole body, and alone (with an 'error') for a cut one.
      response.on('error', () => undefined);
      response.on('close', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks), complete: response.complete }));
    }).on('error', reject);
  });
}

describeEachDialect('a signed download whose export fails', (getStore, getTemp) => {
  let fixture: DeliveryFixture | null = null;

  afterEach(async () => {
    await fixture?.close();
    fixture = null;
  });

  /** A finished run holding `texts` as stored (no destination: it is done at once); its download URL. */
  async function finishedRunWith(texts: readonly string[]): Promise<{ runId: string; url: string }> {
    fixture = await startDeliveryFixture({ store: getStore() });
    const f = fixture;
    const runId = await f.startRun(await f.createSquid());
    const nowMs = Date.now();
    const ingestId = await f.store.openIngest(runId, nowMs);
    await f.store.appendIngestRows(ingestId, texts.map((data, i) => ({ data, rowHash: `hash ${i}`, scrapingTimeMs: nowMs })));
    await f.store.commitIngest(ingestId, ['a']);
    expect((await f.completeRun(runId)).status).toBe(200);
    const link = await f.server.request('GET', `/v1/runs/${runId}/download`);
    expect(link.status).toBe(200);
    return { runId, url: link.body.s3 as string };
  }

  it('answers 500 StoredRowUnreadable in the error shape, before any byte, when the first row cannot be read', async () => {
    const { url } = await finishedRunWith([UNREADABLE, '{"a":1}']);
    const answer = await fetchRaw(url);
    expect(answer.status).toBe(500);
    expect(answer.headers['content-type']).toContain('application/json');
    expect(JSON.parse(answer.body.toString('utf8'))).toMatchObject({ errors: { type: 'StoredRowUnreadable', code: 500 }, detail: expect.any(String) });
  });

  it('answers an error, not 200, for a small file that fails at its last row: it is read whole before anything is sent', async () => {
    const { url } = await finishedRunWith([...Array.from({ length: 2500 }, (_, i) => `{"a":${i}}`), UNREADABLE]);
    const answer = await fetchRaw(url);
    expect(answer.status).toBe(500);
    expect(JSON.parse(answer.body.toString('utf8')).errors.type).toBe('StoredRowUnreadable');
  });

  it('answers 409 RunResultsChanged when the run\'s results are gone but the run is still there', async () => {
    const { runId, url } = await finishedRunWith(Array.from({ length: 300 }, (_, i) => `{"a":${i}}`));
    await purgeRunResults(getTemp() as TempStore, runId, 100);
    const answer = await fetchRaw(url);
    expect(answer.status).toBe(409);
    expect(JSON.parse(answer.body.toString('utf8'))).toMatchObject({ errors: { type: 'RunResultsChanged', code: 409 } });
  });

  it('sends a whole small file with its Content-Length', async () => {
    const { url } = await finishedRunWith(['{"a":1}', '{"a":2}']);
    const answer = await fetchRaw(url);
    expect(answer).toMatchObject({ status: 200, complete: true });
    expect(answer.headers['content-length']).toBe('9');
    expect(answer.body.toString('utf8')).toBe('a\r\n1\r\n2\r\n');
  });

  it('cuts the connection mid-body when a row past the first MiB cannot be read: a chunked body without its last chunk', async () => {
    const filler = 'f'.repeat(200);
    const texts = [...Array.from({ length: 15_000 }, () => `{"a":"${filler}"}`), UNREADABLE];
    const { url } = await finishedRunWith(texts);
    const answer = await fetchRaw(url);
    expect(answer.status).toBe(200);
    expect(answer.headers['transfer-encoding']).toBe('chunked');
    expect(answer.complete).toBe(false);
    // What was sent is the readable rows' records at most: the client can tell it is not the file.
    const readableBytes = 'a\r\n'.length + 15_000 * (filler.length + 2);
    expect(answer.body.length).toBeGreaterThanOrEqual(1024 * 1024);
    expect(answer.body.length).toBeLessThanOrEqual(readableBytes);
  });
});
