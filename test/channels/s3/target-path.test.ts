import { describe, expect, it } from 'vitest';
import { MAX_TARGET_PATH_BYTES, normalizeTargetPath } from '../../../src/channels/s3/target-path.js';

describe('normalizeTargetPath', () => {
  it.each([
    ['exports', 'exports'],
    ['/exports/', 'exports'],
    ['///exports//daily///', 'exports/daily'],
    ['a/b/c', 'a/b/c'],
    ['', ''],
    ['/', ''],
    ['//', ''],
    ['données/été', 'données/été'],
    ['with space/x', 'with space/x'],
    ['v1.2/..data/x..y', 'v1.2/..data/x..y'],
  ])('normalises %j to %j', (raw, path) => {
    expect(normalizeTargetPath(raw)).toEqual({ path });
  });

  it.each(['..', '../x', 'a/../b', 'a/..', './a', 'a/./b', 'a/.'])('rejects the dot segment in %j', (raw) => {
    expect(normalizeTargetPath(raw)).toEqual({ error: expect.stringContaining('"." or ".."') });
  });

  it.each(['a\nb', 'tab\there', 'nul\u0000', 'del\u007f'])('rejects control characters in %j', (raw) => {
    expect(normalizeTargetPath(raw)).toEqual({ error: expect.stringContaining('control characters') });
  });

  it('rejects invalid Unicode', () => {
    expect(normalizeTargetPath('bad\uD800x')).toEqual({ error: expect.stringContaining('Unicode') });
  });

  it('counts the limit in UTF-8 bytes, after normalising', () => {
    expect(normalizeTargetPath('a'.repeat(MAX_TARGET_PATH_BYTES))).toEqual({ path: 'a'.repeat(MAX_TARGET_PATH_BYTES) });
    expect(normalizeTargetPath(`/${'a'.repeat(MAX_TARGET_PATH_BYTES)}/`)).toEqual({ path: 'a'.repeat(MAX_TARGET_PATH_BYTES) });
    expect(normalizeTargetPath('a'.repeat(MAX_TARGET_PATH_BYTES + 1))).toEqual({ error: expect.stringContaining('at most 900 bytes') });
    // 'é' is two bytes: 451 of them are 902 bytes although only 451 characters.
    expect(normalizeTargetPath('é'.repeat(451))).toEqual({ error: expect.stringContaining('it has 902') });
  });

  it('keeps a key of path plus a 100-byte file name within S3\'s 1024-byte limit', () => {
    const result = normalizeTargetPath('x'.repeat(MAX_TARGET_PATH_BYTES));
    expect('path' in result && Buffer.byteLength(`${result.path}/${'f'.repeat(100)}`)).toBeLessThanOrEqual(1024);
  });
});
