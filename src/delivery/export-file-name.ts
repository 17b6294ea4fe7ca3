// Export file names: pure, derived from squid and run, never from the upload time, so every
// retry and re-delivery of a run writes the same file.

/**
 * `<squid-name-slug>_<YYYYMMDD_HHMM>_<first 8 hex of run id>`, like Lobstr's own export name
 * (`my-cool-squid_20250305_0927`) plus enough of the run id that two runs never collide.
 * The time is the run's end, in UTC.
 */
export function renderExportFileName(squidName: string, endedAtMs: number, runId: string): string {
  const slug = squidName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '') || 'squid';
  const d = new Date(endedAtMs);
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}_${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}`;
  return `${slug}_${stamp}_${runId.slice(0, 8)}`;
}
