// `squidship migrate`: applies pending migrations (safe from several processes at once) and exits.
import { parseArgs } from 'node:util';
import type { CliContext } from '../cli-context.js';
import { describeDatabase, openConfiguredStore } from '../open-store.js';
import { parseCommandArgs } from '../parse-command-args.js';

export async function runMigrate(context: CliContext): Promise<void> {
  parseCommandArgs(() => parseArgs({ args: context.args, options: {}, strict: true }));
  const { config, store } = await openConfiguredStore(context);
  try {
    await store.migrate();
  } finally {
    await store.close();
  }
  context.stdout.write(`squidship: database migrated (${describeDatabase(config)})\n`);
}
