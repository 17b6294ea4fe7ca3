// API tokens and the default account. Tokens are 40 random hex characters, like Lobstr's keys,
// and only their SHA-256 hash is stored.
import * as crypto from 'node:crypto';
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../domain/clock.js';
import type { Account } from '../domain/types.js';
import { AppError } from '../domain/app-error.js';
import type { Store } from '../storage/store.js';

export const DEFAULT_ACCOUNT_NAME = 'default';

export function generateApiToken(): string {
  return randomBytes(20).toString('hex');
}

// crypto.hash (Node 20.12+) hashes in one call, a third of createHash's cost; every API request
// hashes its token. Read from the namespace so that older Node 20 releases fall back.
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

export function hashApiToken(token: string): string {
  if (oneShotHash !== undefined) return oneShotHash('sha256', token, 'hex');
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * The account named `default`, created on first start. Looked up by name, not as the oldest
 * account, so `token create --account acme` on an empty database does not make acme the default.
 */
export async function ensureDefaultAccount(store: Store, clock: Clock): Promise<{ account: Account; created: boolean }> {
  const existing = await store.findAccountByName(DEFAULT_ACCOUNT_NAME);
  if (existing) return { account: existing, created: false };
  const account = await store.createAccount({ name: DEFAULT_ACCOUNT_NAME, email: 'owner@localhost', nowMs: clock() });
  return { account, created: true };
}

/**
 * Makes SQUIDSHIP_BOOTSTRAP_TOKEN valid for `account`, and retires the bootstrap token of an
 * earlier start that this one no longer has (all of them when the variable is unset, null).
 */
export async function syncBootstrapToken(store: Store, account: Account, token: string | null, clock: Clock): Promise<void> {
  if (token === null) {
    await store.removeBootstrapTokens(null);
    return;
  }
  const tokenHash = hashApiToken(token);
  const owner = await store.findAccountByTokenHash(tokenHash);
  if (owner && owner.id !== account.id) {
    throw new AppError('TokenInUse', 'this token already belongs to another account');
  }
  await store.addApiToken(account.id, tokenHash, clock(), { bootstrap: true });
  await store.removeBootstrapTokens(tokenHash);
}

/** Issues a new token for the named account (created if missing), or the default account. */
export async function issueApiToken(store: Store, clock: Clock, accountName?: string): Promise<{ account: Account; token: string }> {
  let account: Account;
  if (accountName === undefined || accountName === DEFAULT_ACCOUNT_NAME) {
    account = (await ensureDefaultAccount(store, clock)).account;
  } else {
    account = (await store.findAccountByName(accountName)) ??
      (await store.createAccount({ name: accountName, email: `${accountName}@localhost`, nowMs: clock() }));
  }
  const token = generateApiToken();
  await store.addApiToken(account.id, hashApiToken(token), clock());
  return { account, token };
}

/**
 * How long a token -> account answer is reused without asking the store. Short on purpose: a
 * token revoked by `squidship token revoke` (another process, whose revocation never reaches
 * this memory) stops working within this time on every server process.
 */
export const TOKEN_CACHE_TTL_MS = 5000;
/** A token's last use is written at most this often (a write per request would contend with ingests). */
export const TOKEN_LAST_USED_PRECISION_MS = 60_000;
/** Distinct tokens remembered; beyond that the oldest is forgotten (a few hundred KiB at most). */
const TOKEN_CACHE_MAX_ENTRIES = 1000;

export interface TokenAuthenticator {
  /**
   * The account the token belongs to, or null. A remembered answer comes back as a value, so
   * that the API's token check on a busy client costs no promise; the store's as a promise.
   */
  authenticate(token: string): Account | Promise<Account | null>;
}

/**
 * Token -> account with a short-lived memo keyed by the token's hash (the clear token is not
 * kept). Only hits are remembered: a token just created by `squidship token create` in another
 * process works at once, and a flood of wrong tokens cannot fill the memo.
 */
export function createTokenAuthenticator(store: Store, clock: Clock, ttlMs = TOKEN_CACHE_TTL_MS): TokenAuthenticator {
  const known = new Map<string, { account: Account; expiresAtMs: number; useRecordedAtMs: number }>();
  async function askStore(tokenHash: string, nowMs: number): Promise<Account | null> {
    const account = await store.findAccountByTokenHash(tokenHash);
    let useRecordedAtMs = known.get(tokenHash)?.useRecordedAtMs ?? Number.NEGATIVE_INFINITY;
    known.delete(tokenHash);
    if (account === null) return null;
    if (nowMs - useRecordedAtMs >= TOKEN_LAST_USED_PRECISION_MS) {
      await store.recordApiTokenUse(tokenHash, nowMs, TOKEN_LAST_USED_PRECISION_MS);
      useRecordedAtMs = nowMs;
    }
    if (known.size >= TOKEN_CACHE_MAX_ENTRIES) known.delete(known.keys().next().value as string);
    known.set(tokenHash, { account, expiresAtMs: nowMs + ttlMs, useRecordedAtMs });
    return account;
  }
  return {
    authenticate(token) {
      const tokenHash = hashApiToken(token);
      const nowMs = clock();
      const hit = known.get(tokenHash);
      if (hit !== undefined && hit.expiresAtMs > nowMs) return hit.account;
      return askStore(tokenHash, nowMs);
    },
  };
}
