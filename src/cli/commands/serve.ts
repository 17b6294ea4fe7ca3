// `squidship serve [--role all|api|worker]`: runs the server until SIGTERM or SIGINT, then stops
// it gracefully. A second signal during the graceful stop exits at once.
import { parseArgs } from 'node:util';
import type { ProcessRole } from '../../main.js';
import { UsageError, type CliContext } from '../cli-context.js';
import { parseCommandArgs } from '../parse-command-args.js';

const ROLES: readonly ProcessRole[] = ['all', 'api', 'worker'];
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export async function runServe(context: CliContext): Promise<void> {
  const { values } = parseCommandArgs(() =>
    parseArgs({ args: context.args, options: { role: { type: 'string', default: 'all' } }, strict: true }),
  );
  const role = values.role as ProcessRole;
  if (!ROLES.includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}, not "${role}"`);

  // Imported only now, so a usage error is reported without loading the whole server.
  const { startSquidship } = await import('../../main.js');
  const running = await startSquidship({ env: context.env, cwd: context.cwd, role, out: context.stderr });
  const signal = await waitForSignal();
  context.stderr.write(`squidship: ${signal} received, stopping (send it again to exit at once)\n`);
  const forceExit = (again: NodeJS.Signals): void => {
    context.stderr.write(`squidship: ${again} received again, exiting without finishing the shutdown\n`);
    process.exit(1);
  };
  for (const name of SIGNALS) process.once(name, forceExit);
  try {
    await running.stop();
  } finally {
    for (const name of SIGNALS) process.off(name, forceExit);
  }
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      for (const name of SIGNALS) process.off(name, onSignal);
      resolve(signal);
    };
    for (const name of SIGNALS) process.on(name, onSignal);
  });
}
