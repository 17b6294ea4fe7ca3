// Token -> account with a short-lived memo: hits are reused for TOKEN_CACHE_TTL_MS, misses never.
import { afterEach, describe, expect, it } from 'vitest';
import { TOKEN_CACHE_TTL_MS, TOKEN_LAST_USED_PRECISION_MS, createTokenAuthenticator, hashApiToken, issueApiToken } from '../../src/accounts/api-tokens.js';
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

  it('records a token\'s last use at most once per precision window, and stops a revoked token after the TTL', async () => {
    temp = await createTempSqliteStore();
    let nowMs = 1_000;
    const tokens = createTokenAuthenticator(temp.store, () => nowMs);
    const { account, token } = await issueApiToken(temp.store, () => nowMs);
    const lastUsed = async () => (await temp!.store.listApiTokens())[0]?.lastUsedAtMs;
    expect(await lastUsed()).toBeNull();
    expect(await tokens.authenticate(token)).toEqual(account);
    expect(await lastUsed()).toBe(1_000);
    nowMs += TOKEN_CACHE_TTL_MS;
    expect(await tokens.authenticate(token)).toEqual(account);
    expect(await lastUsed()).toBe(1_000);
    nowMs = 1_000 + TOKEN_LAST_USED_PRECISION_MS;
    expect(await tokens.authenticate(token)).toEqual(account);
    expect(await lastUsed()).toBe(nowMs);

    const [info] = await temp.store.listApiTokens();
    expect(await temp.store.revokeApiToken(info?.id ?? '')).toBe(true);
    expect(await tokens.authenticate(token)).toEqual(account);
    nowMs += TOKEN_CACHE_TTL_MS;
    expect(await tokens.authenticate(token)).toBeNull();
  });
});
