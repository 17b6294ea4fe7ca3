// The event body byte for byte, Lobstr's time format, and signatures as the `standardwebhooks`
// package checks them (pure functions: no server).
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { createWebhookSecret, renderWebhookId, signWebhook } from '../../../src/channels/webhook/sign-webhook.js';
import { renderLobstrTimestamp, renderWebhookPayload } from '../../../src/channels/webhook/webhook-payload.js';
import type { Run, Squid } from '../../../src/domain/types.js';

const run = {
  id: 'c39b1922a5424c3c84a7cb2ec731bc5f', status: 'done', doneReason: 'tasks_done', totalResults: 120, exportDone: true, exportFileName: 'x',
} as Run;
const squid = { id: '8177beb16fdf4e0e8d4b2ba767d1ffb5', name: 'Google Maps Search Export (1)' } as Squid;
const AT_MS = Date.UTC(2025, 5, 18, 17, 32, 31, 900);

describe('webhook payload and signature', () => {
  it('renders Lobstr\'s body exactly, with the squidship object last', () => {
    const files = [
      { kind: 's3', location: { bucket: 'my-bucket', key: 'exports/google-maps_20250618_1732_c39b1922.csv' } },
      { kind: 'file', location: { folder: 'out', file: 'x.csv' } },
    ];
    expect(renderWebhookPayload({ event: 'run.done', run, squid, atMs: AT_MS, files, downloadUrl: 'https://sq.example/v1/runs/c3/export.csv?x=1' })).toBe(
      '{"id":"c39b1922a5424c3c84a7cb2ec731bc5f","object":"run","event":"run.done",' +
        '"squid":{"id":"8177beb16fdf4e0e8d4b2ba767d1ffb5","name":"Google Maps Search Export (1)"},"timestamp":"2025/06/18 17:32:31",' +
        '"squidship":{"status":"done","done_reason":"tasks_done","total_results":120,"export_done":true,' +
        '"files":[{"kind":"s3","location":{"bucket":"my-bucket","key":"exports/google-maps_20250618_1732_c39b1922.csv"}},' +
        '{"kind":"file","location":{"folder":"out","file":"x.csv"}}],' +
        '"download_url":"https://sq.example/v1/runs/c3/export.csv?x=1"}}',
    );
    expect(JSON.parse(renderWebhookPayload({ event: 'run.done', run, squid, atMs: AT_MS, files: [], downloadUrl: null })).squidship).toEqual({
      status: 'done', done_reason: 'tasks_done', total_results: 120, export_done: true, files: [],
    });
    const running = JSON.parse(renderWebhookPayload({ event: 'run.running', run, squid, atMs: AT_MS, files: null, downloadUrl: null })).squidship;
    expect(Object.keys(running)).toEqual(['status', 'done_reason', 'total_results', 'export_done']);
    expect(renderLobstrTimestamp(Date.UTC(2026, 0, 2, 3, 4, 5))).toBe('2026/01/02 03:04:05');
  });

  it('signs so that standardwebhooks verifies, and not with another secret or body', () => {
    const secret = createWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const body = renderWebhookPayload({ event: 'run.done', run, squid, atMs: AT_MS, files: [], downloadUrl: null });
    const headers = signWebhook(secret, renderWebhookId('ab'.repeat(16)), Math.floor(Date.now() / 1000), body);
    expect(headers['webhook-id']).toBe(`msg_${'ab'.repeat(16)}`);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(createWebhookSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(secret).verify(body.replace('120', '121'), headers)).toThrow();
  });
});
