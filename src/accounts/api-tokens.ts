// API tokens and the default account. Tokens are 40 random hex characters, like Lobstr's keys,
// and only their SHA-256 hash is stored.
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../domain/clock.js';
import type { Account } from '../domain/types.js';
import { AppError } from '../domain/app-error.js';
import type { Store } from '../storage/store.js';

export const DEFAULT_ACCOUNT_NAME = 'default';

export function generateApiToken(): string {
  return randomBytes(20).toString('hex');
}

export function hashApiToken(token: string): string {
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

/** Makes `token` valid for `account` (idempotent: an already registered token is left as is). */
export async function registerApiToken(store: Store, account: Account, token: string, clock: Clock): Promise<void> {
  const owner = await store.findAccountByTokenHash(hashApiToken(token));
  if (owner && owner.id !== account.id) {
    throw new AppError('TokenInUse', 'this token already belongs to another account');
  }
  if (!owner) await store.addApiToken(account.id, hashApiToken(token), clock());
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
