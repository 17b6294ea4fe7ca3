// Counts events per key in fixed windows (a minute, say) in a bounded map: the rate limits'
// memory. Pure apart from the clock the caller passes in.

export interface WindowCount {
  /** Events counted in the key's current window, this one included. */
  count: number;
  /** When the key's window ends (epoch ms). */
  resetAtMs: number;
}

export interface FixedWindowCounter {
  /** Counts one event for `key` and returns its window's count. */
  hit(key: string, nowMs: number): WindowCount;
  /** The key's count without counting (0 in a fresh window). */
  peek(key: string, nowMs: number): WindowCount;
}

/**
 * `maxKeys` bounds the memory: a full map first forgets the key whose window started first
 * (windows are re-inserted when they restart, so the map's order is their start order).
 */
export function createFixedWindowCounter(windowMs: number, maxKeys: number): FixedWindowCounter {
  const windows = new Map<string, WindowCount>();
  function current(key: string, nowMs: number): WindowCount | undefined {
    const window = windows.get(key);
    if (window === undefined || window.resetAtMs > nowMs) return window;
    windows.delete(key);
    return undefined;
  }
  return {
    hit(key, nowMs) {
      const window = current(key, nowMs);
      if (window !== undefined) {
        window.count += 1;
        return window;
      }
      if (windows.size >= maxKeys) windows.delete(windows.keys().next().value as string);
      const fresh = { count: 1, resetAtMs: nowMs + windowMs };
      windows.set(key, fresh);
      return fresh;
    },
    peek(key, nowMs) {
      return current(key, nowMs) ?? { count: 0, resetAtMs: nowMs + windowMs };
    },
  };
}
