// Applies the migrations with Kysely's Migrator, whose lock (an advisory lock on PostgreSQL,
// the write lock on SQLite, see sqlite/) lets several processes migrate at once.
import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { migrationProvider } from './index.js';

// The Migrator's own tables are not part of our Database type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/**
 * `onMigrationError` runs on the migration connection before a failed migration's error goes
 * up: SQLite uses it to roll back the transaction its migration lock opened.
 */
export async function runMigrations(db: AnyDb, onMigrationError?: (db: AnyDb) => Promise<void>): Promise<void> {
  const provider = onMigrationError === undefined ? migrationProvider : withErrorHook(migrationProvider, onMigrationError);
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName;
    throw new Error(`database migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

function withErrorHook(provider: MigrationProvider, onError: (db: AnyDb) => Promise<void>): MigrationProvider {
  return {
    async getMigrations() {
      const wrapped: Record<string, Migration> = {};
      for (const [name, migration] of Object.entries(await provider.getMigrations())) {
        wrapped[name] = {
          async up(db) {
            try {
              await migration.up(db);
            } catch (error) {
              await onError(db);
              throw error;
            }
          },
        };
      }
      return wrapped;
    },
  };
}
