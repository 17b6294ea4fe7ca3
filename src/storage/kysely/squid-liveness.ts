// A deleted squid (squids.deleted_at set, migration 0006) and its runs are left out of every read
// from the moment of the deletion, while the purger removes their rows in the background.
import { sql, type RawBuilder } from 'kysely';

/** True for rows whose squid (`squidIdColumn` holds its id) is not deleted. */
export function hasLiveSquid(squidIdColumn: string): RawBuilder<boolean> {
  return sql<boolean>`not exists (select 1 from squids deleted where deleted.id = ${sql.ref(squidIdColumn)} and deleted.deleted_at is not null)`;
}
