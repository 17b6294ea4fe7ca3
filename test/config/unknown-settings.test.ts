import { describe, expect, it } from 'vitest';
import { findUnknownSettings } from '../../src/config/unknown-settings.js';

describe('findUnknownSettings', () => {
  it('names each unknown SQUIDSHIP_* variable with the closest setting', () => {
    expect(findUnknownSettings({ SQUIDSHIP_PROT: '8080', SQUIDSHIP_LOG_LEVLE: 'debug', PATH: '/bin' })).toEqual([
      'SQUIDSHIP_LOG_LEVLE is not a Squidship setting and is ignored (did you mean SQUIDSHIP_LOG_LEVEL?)',
      'SQUIDSHIP_PROT is not a Squidship setting and is ignored (did you mean SQUIDSHIP_PORT?)',
    ]);
  });

  it('suggests nothing for a name far from every setting', () => {
    expect(findUnknownSettings({ SQUIDSHIP_SOMETHING_ELSE_ENTIRELY: '1' })).toEqual([
      'SQUIDSHIP_SOMETHING_ELSE_ENTIRELY is not a Squidship setting and is ignored',
    ]);
  });

  it('knows every setting and the CLI client\'s SQUIDSHIP_URL and SQUIDSHIP_TOKEN', () => {
    expect(findUnknownSettings({ SQUIDSHIP_PORT: '1', SQUIDSHIP_LOG_FORMAT: 'json', SQUIDSHIP_URL: 'http://x', SQUIDSHIP_TOKEN: 't' })).toEqual([]);
  });
});
