// `squidship token create [--account NAME]`: issues an API token. Only the token goes to stdout,
// so scripts can capture it: TOKEN=$(squidship token create).
import { parseArgs } from 'node:util';
import { issueApiToken } from '../../accounts/api-tokens.js';
import { systemClock } from '../../domain/clock.js';
import { UsageError, type CliContext } from '../cli-context.js';
import { openConfiguredStore } from '../open-store.js';
import { parseCommandArgs } from '../parse-command-args.js';

export async function runTokenCreate(context: CliContext): Promise<void> {
  const { values } = parseCommandArgs(() =>
    parseArgs({ args: context.args, options: { account: { type: 'string' } }, strict: true }),
  );
  const accountName = values.account?.trim();
  if (accountName === '') throw new UsageError('--account needs a name');

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
