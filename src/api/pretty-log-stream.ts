// Log lines for people (SQUIDSHIP_LOG_FORMAT=pretty, or a terminal): pino's JSON line turned into
// "12:00:00.123 INFO  message key=value ...". A pino destination, so no extra package is needed.

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** Fields every line has, shown in the line's head or left out. */
const HEAD_FIELDS = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'v']);

export interface LogDestination {
  write(line: string): void;
}

export function createPrettyLogStream(out: NodeJS.WritableStream): LogDestination {
  return {
    write(line) {
      out.write(formatLogLine(line) + '\n');
    },
  };
}

/** One pino JSON line as a human-readable line; a line that is not JSON is passed through. */
export function formatLogLine(jsonLine: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof SyntaxError) return jsonLine.trimEnd();
    throw error;
  }
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 23) : '';
  const level = (LEVEL_NAMES[Number(entry.level)] ?? String(entry.level)).padEnd(5);
  const fields = Object.entries(entry)
    .filter(([key]) => !HEAD_FIELDS.has(key))
    .map(([key, value]) => `${key}=${formatValue(key, value)}`);
  return [time, level, typeof entry.msg === 'string' ? entry.msg : '', ...fields].filter((part) => part !== '').join(' ');
}

function formatValue(key: string, value: unknown): string {
  if (key === 'err' && typeof value === 'object' && value !== null) {
    // The message is what a person acts on; the stack stays in the JSON format.
    const { type, message } = value as { type?: unknown; message?: unknown };
    return JSON.stringify(`${String(type ?? 'Error')}: ${String(message ?? '')}`);
  }
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value);
}
