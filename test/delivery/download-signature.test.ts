import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkRunDownload, renderRunDownloadUrl, signRunDownload } from '../../src/delivery/download-signature.js';

const key = randomBytes(32);
const runId = 'a'.repeat(32);
const nowMs = 1_700_000_000_000;
const expires = nowMs / 1000 + 60;

describe('signed run downloads', () => {
  it('accepts its own signature before the expiry', () => {
    expect(checkRunDownload(key, runId, String(expires), signRunDownload(key, runId, expires), nowMs)).toBe('valid');
  });

  it('says expired at and after the expiry', () => {
    const signature = signRunDownload(key, runId, expires);
    expect(checkRunDownload(key, runId, String(expires), signature, expires * 1000)).toBe('expired');
  });

  it('rejects a signature for another run, another expiry or another key', () => {
    const signature = signRunDownload(key, runId, expires);
    expect(checkRunDownload(key, 'b'.repeat(32), String(expires), signature, nowMs)).toBe('invalid');
    expect(checkRunDownload(key, runId, String(expires + 1), signature, nowMs)).toBe('invalid');
    expect(checkRunDownload(randomBytes(32), runId, String(expires), signature, nowMs)).toBe('invalid');
  });

  it('rejects missing or malformed parameters without throwing', () => {
    expect(checkRunDownload(key, runId, undefined, undefined, nowMs)).toBe('invalid');
    expect(checkRunDownload(key, runId, 'soon', 'f'.repeat(64), nowMs)).toBe('invalid');
    expect(checkRunDownload(key, runId, String(expires), 'abc', nowMs)).toBe('invalid');
  });

  it('renders a URL under the public base whose query checks out', () => {
    const url = new URL(renderRunDownloadUrl('http://files.example:9000/', key, runId, expires));
    expect(url.origin + url.pathname).toBe(`http://files.example:9000/v1/runs/${runId}/export.csv`);
    const check = checkRunDownload(key, runId, url.searchParams.get('expires') ?? undefined, url.searchParams.get('signature') ?? undefined, nowMs);
    expect(check).toBe('valid');
  });
});
