// The body of an event: exactly Lobstr's keys, plus Squidship's own in a `squidship` object.
// Never the results themselves: a receiver fetches them (download URL, results listing).
import type { Run, Squid } from '../../domain/types.js';
import type { DeliveredFile } from '../channel.js';

export interface WebhookPayloadInput {
  event: string;
  run: Run;
  squid: Squid;
  /** When the event happened (the job's creation): the same on every retry. */
  atMs: number;
  /** run.done: where each file delivery of the round landed (null: not shown, other events). */
  files: DeliveredFile[] | null;
  /** run.done: a signed link to the run's export file, when the server hands them out. */
  downloadUrl: string | null;
}

export function renderWebhookPayload({ event, run, squid, atMs, files, downloadUrl }: WebhookPayloadInput): string {
  return JSON.stringify({
    id: run.id,
    object: 'run',
    event,
    squid: { id: squid.id, name: squid.name },
    timestamp: renderLobstrTimestamp(atMs),
    squidship: {
      status: run.status,
      done_reason: run.doneReason,
      total_results: run.totalResults,
      export_done: run.exportDone,
      ...(files === null ? {} : { files: files.map(({ kind, location }) => ({ kind, location })) }),
      ...(downloadUrl === null ? {} : { download_url: downloadUrl }),
    },
  });
}

/** Lobstr's webhook time: `YYYY/MM/DD HH:MM:SS`, UTC. */
export function renderLobstrTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10).replace(/-/g, '/')} ${iso.slice(11, 19)}`;
}
