// Token -> account with a short-lived memo: hits are reused for TOKEN_CACHE_TTL_MS, misses never.
import { afterEach, describe, expect, it } from 'vitest';
import { TOKEN_CACHE_TTL_MS, createTokenAuthenticator, hashApiToken, issueApiToken } from '../../src/accounts/api-tokens.js';
import { createTempSqliteStore, type TempSqliteStore } from '../helpers/temp-store.js';

describe('token authenticator', () => {
  let temp: TempSqliteStore | null = null;
  afterEach(async () => {
    await temp?.cleanup();
    temp = null;
  });

  it('answers the token\'s account, and a token registered after a miss at once', async () => {
    temp = await createTempSqliteStore();
    const clock = () => 1_000;
    const tokens = createTokenAuthenticator(temp.store, clock);
    const { account, token } = await issueApiToken(temp.store, clock);
    expect(await tokens.authenticate(token)).toEqual(account);
    const later = 'f'.repeat(40);
    expect(await tokens.authenticate(later)).toBeNull();
    await temp.store.addApiToken(account.id, hashApiToken(later), 1_000);
    expect(await tokens.authenticate(later)).toEqual(account);
  });

  it('reuses an answer for the TTL only, then asks the store again', async () => {
    temp = await createTempSqliteStore();
    let nowMs = 1_000;
    const tokens = createTokenAuthenticator(temp.store, () => nowMs);
    const { account, token } = await issueApiToken(temp.store, () => nowMs);
    expect(await tokens.authenticate(token)).toEqual(account);
    // With the store closed, only a remembered answer can come back.
    await temp.store.close();
    nowMs += TOKEN_CACHE_TTL_MS - 1;
    expect(await tokens.authenticate(token)).toEqual(account);
    nowMs += 1;
    await expect(tokens.authenticate(token)).rejects.toThrow();
  });
});
