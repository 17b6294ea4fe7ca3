// Types of start-server.mjs for the tests that import it.
export function findStaleBuildReason(root: string): string | null;
export function findStaleWebReason(root: string): string | null;
