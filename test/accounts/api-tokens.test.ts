import { afterEach, describe, expect, it } from 'vitest';
import { ensureDefaultAccount, hashApiToken, issueApiToken, syncBootstrapToken } from '../../src/accounts/api-tokens.js';
import { createTempSqliteStore, type TempSqliteStore } from '../helpers/temp-store.js';

const clock = () => 1_800_000_000_000;

describe('API tokens and the default account', () => {
  let temp: TempSqliteStore | null = null;
  afterEach(async () => {
    await temp?.cleanup();
    temp = null;
  });

  it('keeps the default account apart from an account created first by name', async () => {
    temp = await createTempSqliteStore();
    const acme = await issueApiToken(temp.store, clock, 'acme');
    const first = await ensureDefaultAccount(temp.store, clock);
    expect(first.created).toBe(true);
    expect(first.account.name).toBe('default');
    expect(first.account.id).not.toBe(acme.account.id);
    const second = await ensureDefaultAccount(temp.store, clock);
    expect(second).toEqual({ account: first.account, created: false });
    const plain = await issueApiToken(temp.store, clock);
    expect(plain.account.id).toBe(first.account.id);
  });

  it('stores only the hash of a token, and refuses a token that belongs to another account', async () => {
    temp = await createTempSqliteStore();
    const { account, token } = await issueApiToken(temp.store, clock);
    expect(token).toMatch(/^[0-9a-f]{40}$/);
    expect((await temp.store.findAccountByTokenHash(hashApiToken(token)))?.id).toBe(account.id);
    const other = await issueApiToken(temp.store, clock, 'other');
    await expect(syncBootstrapToken(temp.store, account, other.token, clock)).rejects.toThrow(/another account/);
    await syncBootstrapToken(temp.store, account, token, clock);
  });
});
