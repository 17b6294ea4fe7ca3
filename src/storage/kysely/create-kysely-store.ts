// One Store for both dialects: the shared Kysely queries plus a dialect's DialectOps.
import { sql } from 'kysely';
import type { SecretBox } from '../secret-box.js';
import type { Store } from '../store.js';
import { createAccountSquidMethods } from './account-squid-queries.js';
import { createApiTokenMethods } from './api-token-queries.js';
import { createDeliveryMethods } from './delivery-queries.js';
import type { DialectOps } from './dialect-ops.js';
import { createResultExportMethods } from './result-export-query.js';
import { createResultMethods } from './result-queries.js';
import { createCompletionMethods } from './run-completion.js';
import { createRunMethods } from './run-queries.js';
import type { StoreContext } from './store-context.js';

export function createKyselyStore(ops: DialectOps, secretBox: SecretBox): Store {
  const ctx: StoreContext = { ops, db: ops.db, secretBox };
  let closing: Promise<void> | null = null;
  return {
    dialect: ops.dialect,
    migrate: () => ops.migrate(),
    async ping() {
      await sql`select 1`.execute(ops.db);
    },
    close() {
      closing ??= ops.close();
      return closing;
    },
    ...createAccountSquidMethods(ctx),
    ...createApiTokenMethods(ctx),
    ...createRunMethods(ctx),
    ...createResultMethods(ctx),
    ...createResultExportMethods(ctx),
    ...createCompletionMethods(ctx),
    ...createDeliveryMethods(ctx),
  };
}
