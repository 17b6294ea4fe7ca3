// Where the API commands (push, run abort, run complete) find the server: SQUIDSHIP_URL and
// SQUIDSHIP_TOKEN, both reported at once when wrong.
import { ConfigError } from '../config/config.js';

export const DEFAULT_SQUIDSHIP_URL = 'http://127.0.0.1:8080';

export function readServerEnv(env: Record<string, string | undefined>): { baseUrl: string; token: string } {
  const problems: string[] = [];
  const baseUrl = env.SQUIDSHIP_URL?.trim() || DEFAULT_SQUIDSHIP_URL;
  if (!/^https?:\/\/[^/]/.test(baseUrl) || !URL.canParse(baseUrl)) {
    problems.push(`SQUIDSHIP_URL=${baseUrl} is invalid: set the server's http:// or https:// URL`);
  }
  const token = env.SQUIDSHIP_TOKEN?.trim() ?? '';
  if (token === '') problems.push('SQUIDSHIP_TOKEN is not set: set it to an API token (squidship token create prints one)');
  if (problems.length > 0) throw new ConfigError(problems);
  return { baseUrl, token };
}
