import { describe, expect, it } from 'vitest';
import { renderExportFileName } from '../../src/delivery/export-file-name.js';

const RUN_ID = 'abcdef0123456789abcdef0123456789';
const ENDED_AT_MS = Date.UTC(2025, 2, 5, 9, 27, 59);

describe('renderExportFileName', () => {
  it('is the squid slug, the run end in UTC to the minute and 8 hex of the run id', () => {
    expect(renderExportFileName('My Cool Squid', ENDED_AT_MS, RUN_ID)).toBe('my-cool-squid_20250305_0927_abcdef01');
  });

  it('folds accents and punctuation into single dashes, trims them, and falls back to "squid"', () => {
    expect(renderExportFileName('  Café -- Crème!! ', ENDED_AT_MS, RUN_ID)).toBe('cafe-creme_20250305_0927_abcdef01');
    expect(renderExportFileName('日本語', ENDED_AT_MS, RUN_ID)).toBe('squid_20250305_0927_abcdef01');
  });

  it('keeps at most 60 characters of slug, without a trailing dash', () => {
    const name = `${'a'.repeat(59)} b`;
    expect(renderExportFileName(name, ENDED_AT_MS, RUN_ID)).toBe(`${'a'.repeat(59)}_20250305_0927_abcdef01`);
  });
});
