// src/runtime: what Squidship asks of the JavaScript runtime itself. Here, garbage collection
// on demand, for the few places that know a lot of memory just became garbage and that V8's
// own heuristics would leave in place for long (see each caller).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface GarbageCollector {
  /** A scavenge: the young generation only (objects and buffers that died young). */
  young(): void;
  /** A full collection of this thread's heap. */
  full(): void;
}

/**
 * This thread's collector. `gc` exists only under --expose-gc: the flag, set now, applies to
 * contexts created after it, and a new context hands out its `gc` (jest's leak detector does
 * the same). Without it both calls do nothing.
 */
export function createGarbageCollector(): GarbageCollector {
  setFlagsFromString('--expose-gc');
  const gc: unknown = runInNewContext('gc');
  if (typeof gc !== 'function') return { young: () => undefined, full: () => undefined };
  return {
    young: () => void gc({ type: 'minor' }),
    // gc() with no options: `{ type: 'major' }` left most garbage in place (Node 20).
    full: () => void gc(),
  };
}
