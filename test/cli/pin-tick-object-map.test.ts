// pinTickObjectMap keeps one real TickObject (the object process.nextTick queues) and leaves no
// async hook behind: nextTick and promises go on as before.
import { executionAsyncId } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { pinTickObjectMap } from '../../src/cli/pin-tick-object-map.js';

describe('pinTickObjectMap', () => {
  it('keeps a TickObject with the shape nextTick builds, once', async () => {
    const kept = pinTickObjectMap();
    expect(kept).not.toBeNull();
    // Node's TickObject: the queued callback, beside its async ids (symbol keys).
    expect(typeof (kept as { callback?: unknown }).callback).toBe('function');
    expect(Object.getOwnPropertySymbols(kept).length).toBeGreaterThan(0);
    expect(pinTickObjectMap()).toBe(kept);
    const ran = await new Promise<number>((resolve) => process.nextTick(() => resolve(executionAsyncId())));
    expect(ran).toBeGreaterThan(0);
  });
});
