// Runs node:util parseArgs and turns its errors (unknown option, missing value) into UsageError.
import { UsageError } from './cli-context.js';

export function parseCommandArgs<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      // Node's message goes on with advice about '--' that does not fit one line.
      throw new UsageError((error as Error).message.split(/\.\s|\n/)[0] ?? 'invalid arguments');
    }
    throw error;
  }
}
