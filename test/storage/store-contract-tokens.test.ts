// The storage contract for API tokens: public ids, last use, revocation and the bootstrap flag.
// Runs on SQLite and (with TEST_DATABASE_URL) PostgreSQL.
import { expect, it } from 'vitest';
import { describeEachDialect } from '../helpers/temp-store.js';

const HASH_A = 'aa'.repeat(32);
const HASH_B = 'bb'.repeat(32);
const HASH_C = 'cc'.repeat(32);

describeEachDialect('store contract: API tokens', (getStore) => {
  it('lists tokens with a public id and their account, never the hash', async () => {
    const store = getStore();
    const acme = await store.createAccount({ name: 'acme', email: 'a@example.com', nowMs: 1 });
    const other = await store.createAccount({ name: 'other', email: 'b@example.com', nowMs: 1 });
    await store.addApiToken(acme.id, HASH_A, 10);
    await store.addApiToken(other.id, HASH_B, 20);
    const tokens = await store.listApiTokens();
    expect(tokens).toEqual([
      { id: expect.stringMatching(/^[0-9a-f]{32}$/), accountId: acme.id, accountName: 'acme', createdAtMs: 10, lastUsedAtMs: null, bootstrap: false },
      { id: expect.stringMatching(/^[0-9a-f]{32}$/), accountId: other.id, accountName: 'other', createdAtMs: 20, lastUsedAtMs: null, bootstrap: false },
    ]);
    expect(JSON.stringify(tokens)).not.toContain(HASH_A);
    expect(tokens[0]?.id).not.toBe(tokens[1]?.id);
  });

  it('records the last use at most once per precision window', async () => {
    const store = getStore();
    const acme = await store.createAccount({ name: 'acme', email: 'a@example.com', nowMs: 1 });
    await store.addApiToken(acme.id, HASH_A, 10);
    await store.recordApiTokenUse(HASH_A, 1_000, 500);
    await store.recordApiTokenUse(HASH_A, 1_200, 500);
    expect((await store.listApiTokens())[0]?.lastUsedAtMs).toBe(1_000);
    await store.recordApiTokenUse(HASH_A, 1_500, 500);
    expect((await store.listApiTokens())[0]?.lastUsedAtMs).toBe(1_500);
  });

  it('revokes a token by its id: it no longer finds its account', async () => {
    const store = getStore();
    const acme = await store.createAccount({ name: 'acme', email: 'a@example.com', nowMs: 1 });
    await store.addApiToken(acme.id, HASH_A, 10);
    await store.addApiToken(acme.id, HASH_B, 11);
    const [first] = await store.listApiTokens();
    expect(await store.revokeApiToken(first?.id ?? '')).toBe(true);
    expect(await store.revokeApiToken(first?.id ?? '')).toBe(false);
    expect(await store.findAccountByTokenHash(HASH_A)).toBeNull();
    expect(await store.findAccountByTokenHash(HASH_B)).toEqual(acme);
  });

  it('removes bootstrap tokens but the one kept, and flags an existing token as bootstrap', async () => {
    const store = getStore();
    const acme = await store.createAccount({ name: 'acme', email: 'a@example.com', nowMs: 1 });
    await store.addApiToken(acme.id, HASH_A, 10);
    await store.addApiToken(acme.id, HASH_A, 11, { bootstrap: true });
    await store.addApiToken(acme.id, HASH_B, 12, { bootstrap: true });
    await store.addApiToken(acme.id, HASH_C, 13);
    expect((await store.listApiTokens()).map((token) => token.bootstrap)).toEqual([true, true, false]);
    expect(await store.removeBootstrapTokens(HASH_B)).toBe(1);
    expect(await store.findAccountByTokenHash(HASH_A)).toBeNull();
    expect(await store.findAccountByTokenHash(HASH_B)).toEqual(acme);
    expect(await store.removeBootstrapTokens(null)).toBe(1);
    expect(await store.findAccountByTokenHash(HASH_B)).toBeNull();
    expect(await store.findAccountByTokenHash(HASH_C)).toEqual(acme);
  });
});
