// pinTickObjectMap keeps one real TickObject (the object process.nextTick queues) and leaves no
// async hook behind: nextTick and promises go on as before.
import { executionAsyncId } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { pinTickObjectMap } from '../../src/cli/pin-tick-object-map.js';

describe('pinTickObjectMap', () => {
  it('keeps a TickObject with the shape nextTick builds, once', async () => {
    const kept = pinTickObjectMap();
    expect(kept).not.toBeNull();
    // Node's TickObject: two symbol keys (async ids), then callback and args.
    expect(Object.keys(kept as object)).toEqual(['callback', 'args']);
    expect(Object.getOwnPropertySymbols(kept).map((symbol) => symbol.description)).toEqual(['async_id_symbol', 'trigger_async_id_symbol']);
    expect(pinTickObjectMap()).toBe(kept);
    const ran = await new Promise<number>((resolve) => process.nextTick(() => resolve(executionAsyncId())));
    expect(ran).toBeGreaterThan(0);
  });
});
