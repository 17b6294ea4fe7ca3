// A seeded pseudo-random generator for the randomised tests: the same cases on every run.

export type Random = () => number;

/** A linear congruential generator: numbers in [0, 1), the same sequence for a seed. */
export function createRandom(seed: number): Random {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

export function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}
