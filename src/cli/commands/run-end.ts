// `squidship run abort RUN` and `squidship run complete RUN`: end a run through the API at
// SQUIDSHIP_URL, as `push --complete` does; abort keeps the rows pushed so far and delivers them.
import { parseArgs } from 'node:util';
import { UsageError, type CliContext } from '../cli-context.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { createApiClient } from '../push/api-client.js';
import { readServerEnv } from '../server-env.js';

const ENDINGS = ['abort', 'complete'] as const;
type Ending = (typeof ENDINGS)[number];

export async function runRunEnd(context: CliContext): Promise<void> {
  const [sub, ...args] = context.args;
  if (!ENDINGS.includes(sub as Ending)) {
    throw new UsageError(sub === undefined ? 'run needs a subcommand: run abort RUN or run complete RUN' : `unknown run subcommand "${sub}"`);
  }
  const { positionals } = parseCommandArgs(() => parseArgs({ args, allowPositionals: true, strict: true, options: {} }));
  const [runId, ...extra] = positionals;
  if (runId === undefined || runId.trim() === '') throw new UsageError(`run ${sub} needs a RUN id`);
  if (extra.length > 0) throw new UsageError(`run ${sub} takes one RUN id, got also "${extra.join(' ')}"`);

  const client = createApiClient(readServerEnv(context.env));
  const run = sub === 'abort' ? await client.abortRun(runId.trim()) : await client.completeRun(runId.trim());
  context.stdout.write(`${String(run.id)} ${String(run.status)}\n`);
  const rows = typeof run.total_results === 'number' ? run.total_results : 0;
  context.stderr.write(`squidship: run ${String(run.id)} ${sub === 'abort' ? 'aborted' : 'completed'} with ${rows} rows\n`);
}
