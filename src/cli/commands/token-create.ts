// `squidship token create [--account NAME]`: issues an API token. Only the token goes to stdout,
// so scripts can capture it: TOKEN=$(squidship token create). With the default data folder
// (./data under the current folder) it needs the database to exist there: run from another
// folder, it would otherwise create a new, empty database and a token the server never sees.
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { issueApiToken } from '../../accounts/api-tokens.js';
import { loadConfig, type Config } from '../../config/config.js';
import { AppError } from '../../domain/app-error.js';
import { systemClock } from '../../domain/clock.js';
import { SQLITE_FILE_NAME } from '../../storage/create-store.js';
import { UsageError, type CliContext } from '../cli-context.js';
import { openConfiguredStore } from '../open-store.js';
import { parseCommandArgs } from '../parse-command-args.js';

export async function runTokenCreate(context: CliContext): Promise<void> {
  const { values } = parseCommandArgs(() =>
    parseArgs({ args: context.args, options: { account: { type: 'string' } }, strict: true }),
  );
  const accountName = values.account?.trim();
  if (accountName === '') throw new UsageError('--account needs a name');

  await requireDatabaseUnlessChosen(context, loadConfig(context.env, context.cwd));
  const { store } = await openConfiguredStore(context);
  try {
    // Idempotent, and lets a token be created on a fresh data folder before the first `serve`.
    await store.migrate();
    const { account, token } = await issueApiToken(store, systemClock, accountName);
    context.stdout.write(`${token}\n`);
    context.stderr.write(`squidship: created an API token for account "${account.name}"\n`);
  } finally {
    await store.close();
  }
}

/** A data folder or database URL set explicitly may be new; the default one must hold a database. */
export async function requireDatabaseUnlessChosen(context: CliContext, config: Config): Promise<void> {
  if (config.databaseUrl !== null || (context.env.SQUIDSHIP_DATA_DIR ?? '').trim() !== '') return;
  const databasePath = join(config.dataDir, SQLITE_FILE_NAME);
  await access(databasePath).catch((error: unknown) => {
    throw new AppError('DatabaseNotFound', `no database at ${databasePath} (the default data folder is ./data under the current folder, ${context.cwd})`, {
      cause: error,
      hint: 'run token create in the folder you run squidship serve in, or set SQUIDSHIP_DATA_DIR (or SQUIDSHIP_DATABASE_URL) as the server has it; to start a new database there, run squidship migrate first',
    });
  });
}
