// What every command receives from the entry point: arguments, environment and output streams.
// Commands never read process.env or process.argv themselves, so tests can run them in-process.

export type CliOutput = NodeJS.WritableStream & {
  /** True when the stream is a terminal (progress is then redrawn in place). */
  isTTY?: boolean;
};

export interface CliContext {
  /** The arguments after the command name. */
  args: string[];
  env: Record<string, string | undefined>;
  cwd: string;
  stdout: CliOutput;
  stderr: CliOutput;
}

/** A wrong command line: exit code 2 and a pointer to --help. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
