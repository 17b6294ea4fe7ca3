import { describe, expect, it } from 'vitest';
import { createGarbageCollector } from '../../src/runtime/garbage-collector.js';

/** A WeakRef to an object nothing else holds, once the job that made it has ended. */
async function abandonedObject(): Promise<WeakRef<object>> {
  const ref = new WeakRef({ payload: new Array(10_000).fill('x') });
  // A WeakRef's target stays alive until the end of the job that created or read it.
  await new Promise((resolve) => setImmediate(resolve));
  return ref;
}

// young() has no test here: V8 frees dead young ArrayBuffers by itself after a few MB of them,
// so a test of it passes without it; the threads that call it give its measured effect in comments.
describe('createGarbageCollector', () => {
  const collector = createGarbageCollector();

  it('full() collects garbage anywhere in the heap', async () => {
    const ref = await abandonedObject();
    collector.full();
    expect(ref.deref()).toBeUndefined();
  });
});
