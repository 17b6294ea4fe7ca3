import { describe, expect, it } from 'vitest';
import { renderObjectKey } from '../../../src/channels/s3/object-key.js';

describe('renderObjectKey', () => {
  it('puts the file with its extension under the target path, or at the bucket root for ""', () => {
    expect(renderObjectKey('exports/daily', 'acme_20250101_0000_abcdef12', 'csv')).toBe('exports/daily/acme_20250101_0000_abcdef12.csv');
    expect(renderObjectKey('', 'acme_20250101_0000_abcdef12', 'csv')).toBe('acme_20250101_0000_abcdef12.csv');
  });
});
