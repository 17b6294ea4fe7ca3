// The package's version, from package.json: two folders up from both src/cli and dist/cli.
import { readFileSync } from 'node:fs';

export function readPackageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}
