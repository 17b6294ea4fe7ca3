// The migrations, in order, as a static provider: no files are read at run time, so the
// compiled package and the TypeScript sources migrate the same way. Names sort in apply order.
import type { Migration, MigrationProvider } from 'kysely';
import { initialSchema } from './0001-initial-schema.js';
import { deliveryJobs } from './0002-delivery-jobs.js';
import { attemptEndpointAnswers } from './0003-attempt-endpoint-answers.js';
import { apiTokenIds } from './0004-api-token-ids.js';
import { orphanCleanup } from './0005-orphan-cleanup.js';
import { squidDeletion } from './0006-squid-deletion.js';

const migrations: Record<string, Migration> = {
  '0001-initial-schema': initialSchema,
  '0002-delivery-jobs': deliveryJobs,
  '0003-attempt-endpoint-answers': attemptEndpointAnswers,
  '0004-api-token-ids': apiTokenIds,
  '0005-orphan-cleanup': orphanCleanup,
  '0006-squid-deletion': squidDeletion,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
