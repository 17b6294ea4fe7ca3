#!/usr/bin/env node
// Entry point of the `squidship` command (package bin -> dist/cli/main.js). The only place the
// CLI reads process.argv and process.env; everything else gets them as arguments.
import { runCli } from './run-cli.js';

process.exitCode = await runCli({
  argv: process.argv.slice(2),
  env: process.env,
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
});
