// API tokens: stored as SHA-256 hex hashes under a public id, never in clear.
import type { Store } from '../store.js';
import { toAccount } from './row-mappers.js';
import { newHexId, type StoreContext } from './store-context.js';

type ApiTokenMethods = Pick<
  Store,
  'addApiToken' | 'findAccountByTokenHash' | 'recordApiTokenUse' | 'listApiTokens' | 'revokeApiToken' | 'removeBootstrapTokens'
>;

export function createApiTokenMethods({ db }: StoreContext): ApiTokenMethods {
  return {
    async addApiToken(accountId, tokenHash, nowMs, options = {}) {
      const bootstrap = options.bootstrap === true ? 1 : 0;
      await db
        .insertInto('api_tokens')
        .values({ id: newHexId(), token_hash: tokenHash, account_id: accountId, created_at: nowMs, is_bootstrap: bootstrap })
        .onConflict((oc) => oc.column('token_hash').doNothing())
        .execute();
      // A token registered from the variable before tokens had the flag is marked now.
      if (bootstrap === 1) await db.updateTable('api_tokens').set({ is_bootstrap: 1 }).where('token_hash', '=', tokenHash).execute();
    },
    async findAccountByTokenHash(tokenHash) {
      const row = await db
        .selectFrom('api_tokens')
        .innerJoin('accounts', 'accounts.id', 'api_tokens.account_id')
        .selectAll('accounts')
        .where('api_tokens.token_hash', '=', tokenHash)
        .executeTakeFirst();
      return row === undefined ? null : toAccount(row);
    },
    async recordApiTokenUse(tokenHash, nowMs, precisionMs) {
      await db
        .updateTable('api_tokens')
        .set({ last_used_at: nowMs })
        .where('token_hash', '=', tokenHash)
        .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', nowMs - precisionMs)]))
        .execute();
    },
    async listApiTokens() {
      const rows = await db
        .selectFrom('api_tokens')
        .innerJoin('accounts', 'accounts.id', 'api_tokens.account_id')
        .select(['api_tokens.id', 'api_tokens.account_id', 'accounts.name', 'api_tokens.created_at', 'api_tokens.last_used_at', 'api_tokens.is_bootstrap'])
        .orderBy('api_tokens.created_at')
        .orderBy('api_tokens.id')
        .execute();
      return rows.map((row) => ({
        id: row.id ?? '',
        accountId: row.account_id,
        accountName: row.name,
        createdAtMs: Number(row.created_at),
        lastUsedAtMs: row.last_used_at === null ? null : Number(row.last_used_at),
        bootstrap: row.is_bootstrap === 1,
      }));
    },
    async revokeApiToken(tokenId) {
      const result = await db.deleteFrom('api_tokens').where('id', '=', tokenId).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    async removeBootstrapTokens(keepHash) {
      let query = db.deleteFrom('api_tokens').where('is_bootstrap', '=', 1);
      if (keepHash !== null) query = query.where('token_hash', '!=', keepHash);
      const result = await query.executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
