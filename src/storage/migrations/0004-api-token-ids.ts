// API tokens get a public id (what `squidship token list` shows and `token revoke` takes; the
// token itself is never stored), the time of their last use, and a flag for the token that
// SQUIDSHIP_BOOTSTRAP_TOKEN registered, so that unsetting the variable retires it. Existing
// tokens get fresh random ids; whether one came from the variable is not known, so the flag
// starts at 0 and is set at the next start that still has the variable.
import { randomBytes } from 'node:crypto';
import type { Kysely, Migration } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable('api_tokens').addColumn('id', 'text').execute();
  await db.schema.alterTable('api_tokens').addColumn('last_used_at', 'bigint').execute();
  await db.schema.alterTable('api_tokens').addColumn('is_bootstrap', 'integer', (col) => col.notNull().defaultTo(0)).execute();
  const tokens: Array<{ token_hash: string }> = await db.selectFrom('api_tokens').select('token_hash').execute();
  for (const { token_hash: tokenHash } of tokens) {
    await db.updateTable('api_tokens').set({ id: randomBytes(16).toString('hex') }).where('token_hash', '=', tokenHash).execute();
  }
  await db.schema.createIndex('api_tokens_id').on('api_tokens').column('id').unique().execute();
}

export const apiTokenIds: Migration = { up };
