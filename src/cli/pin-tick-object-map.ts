// Keeps one of Node's TickObjects (what process.nextTick queues) alive for the life of the
// process, so that V8 keeps its hidden class and every request's nextTick stays on the fast path.
//
// Why: nextTick builds each TickObject with an object literal whose first keys are computed
// (`{ [async_id_symbol]: ..., [trigger_async_id_symbol]: ..., callback, args }`). V8 remembers
// the one hidden class each such key is defined on; the first time it sees another, the site
// becomes megamorphic for good and every later TickObject is built in the runtime. The classes
// are only weakly held, so a garbage collection that finds no TickObject alive frees them, and
// the next TickObject gets new ones. Measured on Node 20 (bench:api, perf and callgrind): in
// about half the server processes, at random, this happened during start-up, and each
// `GET /v1/squids/{id}` then cost ~170,000 instructions instead of ~130,000 (+30%, all of it in
// V8's Runtime_DefineKeyedOwnPropertyInLiteral and the map transitions it makes); with one
// TickObject kept from the start, none of 12 processes did, and without it 9 of 12 did.
import { createHook } from 'node:async_hooks';

let pinned: object | null = null;

/**
 * Takes a TickObject through a one-off async hook (its init hook receives the object itself)
 * and keeps it. Call as early as possible in the process, before the server is loaded. Returns
 * the kept object; a second call keeps nothing more.
 */
export function pinTickObjectMap(): object | null {
  if (pinned !== null) return pinned;
  const hook = createHook({
    init(_asyncId, type, _triggerAsyncId, resource) {
      if (type === 'TickObject' && pinned === null) pinned = resource;
    },
  });
  hook.enable();
  try {
    process.nextTick(() => undefined);
  } finally {
    hook.disable();
  }
  return pinned;
}
