// What an HTTP endpoint answered each attempt (webhooks): its status, the latency and the first
// 1 KiB of its body, for the delivery history. Nullable columns: both dialects add them in place.
import type { Kysely, Migration } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export const attemptEndpointAnswers: Migration = {
  async up(db: AnyDb) {
    await db.schema.alterTable('delivery_attempts').addColumn('endpoint_status', 'integer').execute();
    await db.schema.alterTable('delivery_attempts').addColumn('latency_ms', 'bigint').execute();
    await db.schema.alterTable('delivery_attempts').addColumn('body_excerpt', 'text').execute();
  },
};
