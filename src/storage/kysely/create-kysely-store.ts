// One Store for both dialects: the shared Kysely queries plus a dialect's DialectOps.
import { sql } from 'kysely';
import { AppError } from '../../domain/app-error.js';
import type { SecretBox } from '../secret-box.js';
import type { Store } from '../store.js';
import { createAccountSquidMethods } from './account-squid-queries.js';
import { createApiTokenMethods } from './api-token-queries.js';
import { createDeliveryMethods } from './delivery-queries.js';
import type { DialectOps } from './dialect-ops.js';
import { createOpenWriteMethods } from './open-write-queries.js';
import { createResultExportMethods } from './result-export-query.js';
import { createResultMethods } from './result-queries.js';
import { createCompletionMethods } from './run-completion.js';
import { createRunMethods } from './run-queries.js';
import { createSquidDeletionMethods } from './squid-deletion-queries.js';
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
    async verifySecretKey() {
      const row = await ops.db.selectFrom('destinations').select('config').limit(1).executeTakeFirst();
      if (row === undefined) return;
      try {
        secretBox.decrypt(row.config);
      } catch (error) {
        throw new AppError('SecretKeyMismatch', 'the secret key does not decrypt the stored destination secrets', {
          cause: error,
          hint: 'restore the secret.key that was in the data folder, or set SQUIDSHIP_SECRET_KEY to the key they were stored with',
        });
      }
    },
    close() {
      closing ??= ops.close();
      return closing;
    },
    ...createAccountSquidMethods(ctx),
    ...createSquidDeletionMethods(ctx),
    ...createApiTokenMethods(ctx),
    ...createRunMethods(ctx),
    ...createResultMethods(ctx),
    ...createResultExportMethods(ctx),
    ...createCompletionMethods(ctx),
    ...createDeliveryMethods(ctx),
    ...createOpenWriteMethods(ctx),
  };
}
