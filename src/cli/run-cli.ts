// Dispatches `squidship <command>` and maps every error to an exit code and one line per problem:
// 0 ok, 1 runtime or API error, 2 usage error.
import { ConfigError } from '../config/config.js';
import { AppError, toError } from '../domain/app-error.js';
import type { CliContext, CliOutput } from './cli-context.js';
import { UsageError } from './cli-context.js';
import { readPackageVersion } from './package-version.js';
import { USAGE } from './usage.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

type Command = (context: CliContext) => Promise<void>;

// Loaded on demand: `push` is an HTTP client and should not load the server, its database
// drivers and the AWS SDK just to start.
const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./commands/serve.js')).runServe,
  migrate: async () => (await import('./commands/migrate.js')).runMigrate,
  push: async () => (await import('./commands/push.js')).runPush,
  run: async () => (await import('./commands/run-end.js')).runRunEnd,
  token: async () => runToken,
  backup: async () => (await import('./commands/backup.js')).runBackup,
};

export interface CliInput extends Omit<CliContext, 'args'> {
  /** Everything after `squidship`. */
  argv: string[];
}

export async function runCli(input: CliInput): Promise<number> {
  const [name, ...args] = input.argv;
  if (name === undefined) {
    input.stderr.write(USAGE);
    return EXIT_USAGE;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    input.stdout.write(`squidship ${readPackageVersion()}\n`);
    return EXIT_OK;
  }
  if (name === '--help' || name === '-h' || name === 'help' || args.includes('--help') || args.includes('-h')) {
    input.stdout.write(USAGE);
    return EXIT_OK;
  }
  const loadCommand = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  try {
    if (loadCommand === undefined) throw new UsageError(`unknown command "${name}"`);
    const command = await loadCommand();
    await command({ ...input, args });
    return EXIT_OK;
  } catch (error) {
    return reportError(error, input.stderr);
  }
}

const TOKEN_COMMANDS: Record<string, () => Promise<Command>> = {
  create: async () => (await import('./commands/token-create.js')).runTokenCreate,
  list: async () => (await import('./commands/token-list.js')).runTokenList,
  revoke: async () => (await import('./commands/token-revoke.js')).runTokenRevoke,
};

async function runToken(context: CliContext): Promise<void> {
  const [sub, ...args] = context.args;
  const loadSub = sub !== undefined && Object.hasOwn(TOKEN_COMMANDS, sub) ? TOKEN_COMMANDS[sub] : undefined;
  if (loadSub === undefined) {
    throw new UsageError(sub === undefined ? 'token needs a subcommand: token create, token list or token revoke' : `unknown token subcommand "${sub}"`);
  }
  const command = await loadSub();
  await command({ ...context, args });
}

/** The CLI's one error table. */
function reportError(thrown: unknown, stderr: CliOutput): number {
  if (thrown instanceof UsageError) {
    stderr.write(`squidship: ${thrown.message} (see squidship --help)\n`);
    return EXIT_USAGE;
  }
  if (thrown instanceof ConfigError) {
    for (const problem of thrown.problems) stderr.write(`squidship: ${problem}\n`);
    return EXIT_FAILURE;
  }
  if (thrown instanceof AppError) {
    stderr.write(`squidship: ${thrown.message}${thrown.hint === undefined ? '' : ` (${thrown.hint})`}\n`);
    return EXIT_FAILURE;
  }
  const error = toError(thrown);
  // The cause's first line only, and not when the message already says it.
  const causeLine = error.cause instanceof Error ? (error.cause.message.split('\n')[0] ?? '') : '';
  const cause = causeLine === '' || error.message.includes(causeLine) ? '' : `: ${causeLine}`;
  stderr.write(`squidship: ${error.message.split('\n')[0]}${cause}\n`);
  return EXIT_FAILURE;
}
