// The --help text, kept in one place so every usage error can point at it.

export const USAGE = `Usage: squidship <command> [options]

Commands:
  serve [--role all|api|worker]   Start the server (default role: all).
                                  SIGTERM or SIGINT stops it gracefully; a second signal exits at once.
  migrate                         Apply pending database migrations, then exit.
  token create [--account NAME]   Issue an API token (for the default account unless NAME is given)
                                  and print only the token on stdout.
  token list                      List the tokens: id, account, created, last used (never the token).
  token revoke ID                 Delete the token with that id; running servers refuse it within 5 s.
  push FILE --squid ID [--complete] [--batch-rows N]
                                  Stream a .ndjson/.jsonl, .json (top-level array) or .csv file into a
                                  new run of squid ID through the API at SQUIDSHIP_URL
                                  (default http://127.0.0.1:8080) with SQUIDSHIP_TOKEN. Prints the run id.
                                  --complete    complete the run once every row is in
                                  --batch-rows  rows per request (default 100000; requests also end
                                                after 64 MiB). Each request is atomic.
                                  If the server refuses the rows, the run is aborted.
  run abort RUN | run complete RUN
                                  End a run through the API (SQUIDSHIP_URL, SQUIDSHIP_TOKEN): abort
                                  keeps the rows pushed so far; both start the run's deliveries.
  backup FILE                     Copy the SQLite database to FILE while the server runs (online,
                                  consistent). Restoring the copy needs the same secret key.
  --version                       Print the version.

Server commands read their configuration from SQUIDSHIP_* environment variables.
Exit codes: 0 ok, 1 runtime or API error, 2 usage error.
`;
