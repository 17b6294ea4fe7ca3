// Finds SQUIDSHIP_* variables that no setting reads (a typo is otherwise silently ignored) and
// names the closest known one.
import { SETTINGS } from './config.js';

/** The CLI client's variables (push, run): not server settings, yet not unknown. */
const CLIENT_VARIABLES = ['SQUIDSHIP_URL', 'SQUIDSHIP_TOKEN'];

/** Farther than this many edits, a suggestion is more confusing than helpful. */
const MAX_SUGGESTION_EDITS = 4;

/** One warning sentence per unknown SQUIDSHIP_* variable, sorted by name. */
export function findUnknownSettings(env: Record<string, string | undefined>): string[] {
  const known = new Set<string>([...Object.keys(SETTINGS), ...CLIENT_VARIABLES]);
  return Object.keys(env)
    .filter((name) => name.startsWith('SQUIDSHIP_') && !known.has(name))
    .sort()
    .map((name) => {
      const suggestion = findClosestName(name, [...known]);
      return `${name} is not a Squidship setting and is ignored${suggestion === null ? '' : ` (did you mean ${suggestion}?)`}`;
    });
}

function findClosestName(name: string, candidates: string[]): string | null {
  let best: string | null = null;
  let bestEdits = MAX_SUGGESTION_EDITS + 1;
  for (const candidate of candidates) {
    const edits = countEdits(name, candidate);
    if (edits < bestEdits) {
      best = candidate;
      bestEdits = edits;
    }
  }
  return best;
}

/** Levenshtein distance, one row at a time. */
function countEdits(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
