// The sign of life of this process's open ingests. Another process (API scale-out on
// PostgreSQL) cannot tell a slow push from a dead one by looking at its rows, so the process
// that owns an ingest touches its heartbeat while the request runs, and sweepers discard only
// ingests whose heartbeat stopped (see stale-ingest-sweeper.ts). One UPDATE per interval covers
// all of this process's open ingests.
import type { Logger } from 'pino';
import type { Clock } from '../domain/clock.js';
import type { HexId } from '../domain/types.js';
import type { Store } from '../storage/store.js';

export interface IngestHeartbeat {
  /** Keeps the ingest alive until the returned function is called (after its commit or discard). */
  track(ingestId: HexId): () => void;
  /** Stops the timer; the ingests still tracked are no longer touched. Safe to call twice. */
  stop(): void;
}

export function createIngestHeartbeat(input: { store: Store; clock: Clock; intervalMs: number; logger: Logger }): IngestHeartbeat {
  const open = new Set<HexId>();
  let touching = false;
  const touch = async (): Promise<void> => {
    // A touch slower than the interval (a busy database) is not stacked on by the next one.
    if (open.size === 0 || touching) return;
    touching = true;
    try {
      await input.store.touchIngests([...open], input.clock());
    } catch (error) {
      // The next interval tries again; only a heartbeat missing for SQUIDSHIP_INGEST_STALE_MS
      // (at least three intervals) costs the pushes their rows, and their clients see a 409.
      input.logger.warn({ event: 'ingest.heartbeat.failed', err: error, ingests: open.size }, 'ingest.heartbeat.failed');
    } finally {
      touching = false;
    }
  };
  const timer = setInterval(() => void touch(), input.intervalMs);
  // Pushes in flight keep the process busy anyway; the timer alone must not keep it alive.
  timer.unref();
  return {
    track(ingestId) {
      open.add(ingestId);
      return () => void open.delete(ingestId);
    },
    stop() {
      clearInterval(timer);
      open.clear();
    },
  };
}
