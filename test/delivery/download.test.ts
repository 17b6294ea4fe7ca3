// GET /v1/runs/{id}/download and the signed link it hands out: the same bytes as the delivered
// object, fetched without the API token, as Lobstr's SDK downloads; tampered or expired: 403.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderRunDownloadUrl } from '../../src/delivery/download-signature.js';
import { lobstrS3Fields, startDeliveryFixture, type DeliveryFixture } from './delivery-fixture.js';

interface ErrorJson {
  errors: { type: string; message: string };
}

describe('signed run downloads', () => {
  let fixture: DeliveryFixture;

  beforeEach(async () => {
    fixture = await startDeliveryFixture();
    await fixture.startWorker();
  });

  afterEach(async () => {
    await fixture.close();
  });

  async function deliveredRun() {
    const squidId = await fixture.createSquid();
    expect((await fixture.configureS3(squidId, { s3_fields: lobstrS3Fields('exports') })).status).toBe(201);
    const runId = await fixture.startRun(squidId);
    await fixture.pushRows(runId, [{ name: 'Café, "Le Nid"', n: 1 }, { name: 'Zoë\nline', extra: [1, 2] }]);
    expect((await fixture.completeRun(runId)).status).toBe(200);
    await fixture.waitForRunFinished(runId);
    const deliveries = await fixture.server.request('GET', `/v1/runs/${runId}/deliveries`);
    return { runId, key: deliveries.body.data[0].key as string };
  }

  it('answers {"s3": url}; the URL serves the delivered bytes without a token', async () => {
    const { runId, key } = await deliveredRun();
    const response = await fixture.server.request('GET', `/v1/runs/${runId}/download`);
    expect(response.status).toBe(200);
    expect(Object.keys(response.body)).toEqual(['s3']);
    const url = new URL(response.body.s3 as string);
    expect(url.origin).toBe(fixture.server.url);
    expect(url.pathname).toBe(`/v1/runs/${runId}/export.csv`);
    const expires = Number(url.searchParams.get('expires'));
    const ttl = fixture.config.downloadUrlTtlSeconds;
    expect(expires).toBeGreaterThan(Date.now() / 1000 + ttl - 60);
    expect(expires).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + ttl);

    const download = await fetch(url); // no Authorization header
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const fileName = key.split('/').pop();
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename=${fileName}`);
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(bytes.equals(await fixture.readObject(key))).toBe(true);
    expect(bytes.toString('utf8')).toBe('name,n,extra\r\n"Café, ""Le Nid""",1,\r\n"Zoë\nline",,"[1,2]"\r\n');
  });

  it('refuses a tampered signature, a signature for another run, and an expired link with 403', async () => {
    const { runId } = await deliveredRun();
    const url = new URL((await fixture.server.request('GET', `/v1/runs/${runId}/download`)).body.s3 as string);
    const signature = url.searchParams.get('signature')!;

    const tampered = new URL(url);
    tampered.searchParams.set('signature', (signature[0] === 'a' ? 'b' : 'a') + signature.slice(1));
    const tamperedAnswer = await fetch(tampered);
    expect(tamperedAnswer.status).toBe(403);
    expect(((await tamperedAnswer.json()) as ErrorJson).errors.type).toBe('InvalidSignature');

    const longer = new URL(url);
    longer.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600));
    expect((await fetch(longer)).status).toBe(403);

    const other = new URL(url.toString().replace(runId, 'f'.repeat(32)));
    expect((await fetch(other)).status).toBe(403);

    const unsigned = new URL(url.origin + url.pathname);
    expect((await fetch(unsigned)).status).toBe(403);

    const deps = fixture.server.deps;
    const expired = renderRunDownloadUrl(deps.publicUrl, deps.urlSigningKey, runId, Math.floor(Date.now() / 1000) - 1);
    const expiredAnswer = await fetch(expired);
    expect(expiredAnswer.status).toBe(403);
    expect(((await expiredAnswer.json()) as ErrorJson).errors.type).toBe('DownloadLinkExpired');
  });

  it('answers 404 for a run that is still running, unknown, or of another account', async () => {
    const squidId = await fixture.createSquid();
    const runId = await fixture.startRun(squidId);
    const running = await fixture.server.request('GET', `/v1/runs/${runId}/download`);
    expect(running.status).toBe(404);
    expect(running.body.errors.type).toBe('RunDoesNotExist');
    expect(running.body.errors.message).toContain('export not ready');
    expect((await fixture.server.request('GET', `/v1/runs/${'0'.repeat(32)}/download`)).status).toBe(404);

    await fixture.pushRows(runId, [{ a: 1 }]);
    expect((await fixture.completeRun(runId)).status).toBe(200);
    const other = await fixture.server.createAccountWithToken('other');
    const foreign = await fixture.server.request('GET', `/v1/runs/${runId}/download`, undefined, { authorization: `Token ${other.token}` });
    expect(foreign.status).toBe(404);
    expect((await fixture.server.request('GET', `/v1/runs/${runId}/download`, undefined, { authorization: '' })).status).toBe(401);
  });

  it('serves a finished run that has no delivery configured', async () => {
    const squidId = await fixture.createSquid({ no_line_breaks: true });
    const runId = await fixture.startRun(squidId);
    await fixture.pushRows(runId, [{ a: 'one\ntwo' }]);
    expect((await fixture.completeRun(runId)).status).toBe(200);
    const run = await fixture.waitForRunFinished(runId);
    expect(run.status).toBe('done');
    const link = await fixture.server.request('GET', `/v1/runs/${runId}/download?file_format=csv`);
    expect(link.status).toBe(200);
    const download = await fetch(link.body.s3 as string);
    expect(await download.text()).toBe('a\r\none two\r\n');
    const xlsx = await fixture.server.request('GET', `/v1/runs/${runId}/download?file_format=xlsx`);
    expect(xlsx.status).toBe(400);
  });
});
