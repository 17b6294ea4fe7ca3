// Accounts, squids and destinations.
import { sql } from 'kysely';
import { AppError } from '../../domain/app-error.js';
import type { Store } from '../store.js';
import { sealConfig, toAccount, toDbBool, toDestination, toRun, toSquid } from './row-mappers.js';
import { readSquidSummary } from './squid-summary-query.js';
import { escapeLike, newHexId, type StoreContext } from './store-context.js';

type AccountSquidMethods = Pick<
  Store,
  | 'createAccount' | 'findAccountByName'
  | 'createSquid' | 'getSquid' | 'getSquidById' | 'listSquids' | 'listSquidNamesStartingWith'
  | 'updateSquid' | 'getLastRun' | 'getSquidSummary' | 'putDestination' | 'listDestinations'
>;

function duplicateSquid(name: string, cause: unknown): AppError {
  return new AppError('DuplicateSquid', `A squid named "${name}" already exists in this account`, {
    status: 400,
    param: 'name',
    cause,
  });
}

export function createAccountSquidMethods({ ops, db, secretBox }: StoreContext): AccountSquidMethods {
  const getSquid: Store['getSquid'] = async (accountId, squidId) => {
    const row = await db.selectFrom('squids').selectAll().where('id', '=', squidId).where('account_id', '=', accountId).where('deleted_at', 'is', null).executeTakeFirst();
    return row === undefined ? null : toSquid(row);
  };
  return {
    async createAccount({ name, email, nowMs }) {
      const row = await db
        .insertInto('accounts')
        .values({ id: newHexId(), name, email, created_at: nowMs })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toAccount(row);
    },
    async findAccountByName(name) {
      const row = await db.selectFrom('accounts').selectAll().where('name', '=', name).orderBy('seq').limit(1).executeTakeFirst();
      return row === undefined ? null : toAccount(row);
    },
    async createSquid({ accountId, crawlerId, name, nowMs }) {
      try {
        const row = await db
          .insertInto('squids')
          .values({
            id: newHexId(),
            account_id: accountId,
            crawler_id: crawlerId,
            name,
            is_active: 1,
            export_unique_results: 0,
            no_line_breaks: 0,
            concurrency: 1,
            created_at: nowMs,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return toSquid(row);
      } catch (error) {
        if (ops.isUniqueViolation(error)) throw duplicateSquid(name, error);
        throw error;
      }
    },
    getSquid,
    async getSquidById(squidId) {
      const row = await db.selectFrom('squids').selectAll().where('id', '=', squidId).where('deleted_at', 'is', null).executeTakeFirst();
      return row === undefined ? null : toSquid(row);
    },
    async listSquids(accountId, filter, page) {
      let query = db.selectFrom('squids').where('account_id', '=', accountId).where('deleted_at', 'is', null);
      if (filter.nameContains !== undefined && filter.nameContains !== '') {
        const pattern = `%${escapeLike(filter.nameContains.toLowerCase())}%`;
        query = query.where(sql<boolean>`lower(name) like ${pattern} escape '\\'`);
      }
      const [rows, count] = await Promise.all([
        query.selectAll().orderBy('seq').limit(page.limit).offset(page.offset).execute(),
        query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
      ]);
      return { items: rows.map(toSquid), total: Number(count.total) };
    },
    async listSquidNamesStartingWith(accountId, prefix) {
      const pattern = `${escapeLike(prefix.toLowerCase())}%`;
      const rows = await db
        .selectFrom('squids')
        .select('name')
        .where('account_id', '=', accountId)
        .where('deleted_at', 'is', null)
        .where(sql<boolean>`lower(name) like ${pattern} escape '\\'`)
        .execute();
      // lower() and LIKE fold case differently per dialect: the exact test is done here.
      return rows.map((row) => row.name).filter((name) => name.startsWith(prefix));
    },
    async updateSquid(accountId, squidId, patch) {
      const values = {
        ...(patch.name === undefined ? {} : { name: patch.name }),
        ...(patch.isActive === undefined ? {} : { is_active: toDbBool(patch.isActive) }),
        ...(patch.exportUniqueResults === undefined ? {} : { export_unique_results: toDbBool(patch.exportUniqueResults) }),
        ...(patch.noLineBreaks === undefined ? {} : { no_line_breaks: toDbBool(patch.noLineBreaks) }),
        ...(patch.concurrency === undefined ? {} : { concurrency: patch.concurrency }),
      };
      if (Object.keys(values).length === 0) return getSquid(accountId, squidId);
      try {
        const row = await db
          .updateTable('squids')
          .set(values)
          .where('id', '=', squidId)
          .where('account_id', '=', accountId)
          .where('deleted_at', 'is', null)
          .returningAll()
          .executeTakeFirst();
        return row === undefined ? null : toSquid(row);
      } catch (error) {
        if (ops.isUniqueViolation(error)) throw duplicateSquid(patch.name ?? '', error);
        throw error;
      }
    },
    async getLastRun(squidId) {
      const [last, count] = await Promise.all([
        db.selectFrom('runs').selectAll().where('squid_id', '=', squidId).orderBy('seq', 'desc').limit(1).executeTakeFirst(),
        db.selectFrom('runs').select((eb) => eb.fn.countAll<number>().as('total')).where('squid_id', '=', squidId).executeTakeFirstOrThrow(),
      ]);
      return { run: last === undefined ? null : toRun(last), totalRuns: Number(count.total) };
    },
    getSquidSummary: (accountId, squidId) => readSquidSummary(db, secretBox, accountId, squidId),

    async putDestination(squidId, kind, isActive, config, nowMs) {
      const values = { is_active: toDbBool(isActive), config: sealConfig(secretBox, config), updated_at: nowMs };
      const row = await db
        .insertInto('destinations')
        .values({ squid_id: squidId, kind, ...values })
        .onConflict((oc) => oc.columns(['squid_id', 'kind']).doUpdateSet(values))
        .returningAll()
        .executeTakeFirstOrThrow();
      return toDestination(secretBox, row);
    },
    async listDestinations(squidId) {
      const rows = await db.selectFrom('destinations').selectAll().where('squid_id', '=', squidId).orderBy('kind').execute();
      return rows.map((row) => toDestination(secretBox, row));
    },
  };
}
