#!/usr/bin/env node
// Entry point of the `squidship` command (package bin -> dist/cli/main.js). The only place the
// CLI reads process.argv and process.env; everything else gets them as arguments.
import { pinTickObjectMap } from './pin-tick-object-map.js';
import { runCli } from './run-cli.js';

// First, before the server's modules load: see pin-tick-object-map.ts (~30% of a small
// request's CPU in half the processes).
pinTickObjectMap();

process.exitCode = await runCli({
  argv: process.argv.slice(2),
  env: process.env,
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
});
