// Renders docs/configuration.md from the SETTINGS table in src/config/config.ts, so the reference
// cannot drift from what loadConfig reads. `npm run docs:config` writes it; a test compares them.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SETTINGS, type Setting } from '../src/config/config.js';

export const CONFIG_DOCS_PATH = fileURLToPath(new URL('../docs/configuration.md', import.meta.url));

const KIB = 1024;
const MIB = KIB * KIB;
const GIB = MIB * KIB;

export function renderConfigDocs(): string {
  const rows = Object.entries(SETTINGS).map(([name, setting]: [string, Setting]) =>
    `| \`${name}\` | ${describeDefault(name, setting)} | ${describeAccepted(name, setting)} | ${escapeCell(setting.description)} |`);
  return [
    '<!-- Generated from src/config/config.ts by `npm run docs:config`: edit the SETTINGS table there, not this file. -->',
    '# Configuration',
    '',
    'Every server setting is an environment variable with the `SQUIDSHIP_` prefix. Squidship checks',
    'them all at start and refuses to start while any is invalid, naming every bad variable and its',
    'fix at once. An empty value counts as unset. A `SQUIDSHIP_*` variable that is not in this table',
    '(a typo) is logged as a warning at start, with the closest known name.',
    '',
    '| Variable | Default | Accepted values | Meaning |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    'The `squidship push` command is a client of the API, not a server, and reads two variables of',
    'its own: `SQUIDSHIP_URL` (default `http://127.0.0.1:8080`) and `SQUIDSHIP_TOKEN`; see',
    '[pushing results](pushing-results.md). Running several processes on one database, and what',
    'they must share, is in [operations](operations.md).',
    '',
  ].join('\n');
}

function describeDefault(name: string, setting: Setting): string {
  if (setting.defaultText !== undefined) return escapeCell(setting.defaultText);
  if (setting.default === null) return 'unset';
  const literal = `\`${String(setting.default)}\``;
  if (typeof setting.default !== 'number') return literal;
  const readable = describeQuantity(name, setting.default);
  return readable === null ? literal : `${literal} (${readable})`;
}

function describeAccepted(name: string, setting: Setting): string {
  switch (setting.kind) {
    case 'string':
    case 'optional-string':
      return 'text';
    case 'int':
      return `whole number, ${describeBound(name, setting.min)} to ${describeBound(name, setting.max)}`;
    case 'bool':
    case 'optional-bool':
      return '`true` or `false` (also `1`/`0`, `yes`/`no`, `on`/`off`)';
    case 'choice':
      return setting.choices.map((choice) => `\`${choice}\``).join(', ');
    case 'url':
      return 'an `http://` or `https://` URL';
    case 'database-url':
      return 'a `postgres://user:password@host:5432/database` URL';
    case 'token':
      return '32 to 200 letters, digits, `-` or `_`';
    case 'secret-key':
      return '32 bytes: 64 hex characters or base64';
  }
}

function describeBound(name: string, value: number): string {
  const readable = describeQuantity(name, value);
  return readable === null ? String(value) : `${value} (${readable})`;
}

/** A byte count, duration or lifetime in the unit a reader thinks in, when the name says its unit. */
function describeQuantity(name: string, value: number): string | null {
  if (name.endsWith('_BYTES')) {
    for (const [size, unit] of [[GIB, 'GiB'], [MIB, 'MiB'], [KIB, 'KiB']] as const) {
      if (value >= size && value % size === 0) return `${value / size} ${unit}`;
    }
    return null;
  }
  const seconds = name.endsWith('_MS') ? value / 1000 : name.endsWith('_SECONDS') ? value : null;
  if (seconds === null || seconds < 1 || !Number.isInteger(seconds)) return null;
  for (const [size, unit] of [[86_400, 'd'], [3600, 'h'], [60, 'min']] as const) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size} ${unit}`;
  }
  return `${seconds} s`;
}

function escapeCell(text: string): string {
  return text.replaceAll('|', '\\|');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await writeFile(CONFIG_DOCS_PATH, renderConfigDocs());
  process.stdout.write(`wrote ${CONFIG_DOCS_PATH}\n`);
}
