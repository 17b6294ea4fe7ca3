/** Milliseconds since the epoch. Passed in everywhere so tests can fix or move time. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();
