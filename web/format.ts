// How times and sizes read on the page.

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso.endsWith('Z') || /[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function formatDurationMs(startIso: string, endIso: string | null): string {
  if (endIso === null) return '—';
  const ms = new Date(endIso).getTime() - new Date(startIso).getTime();
  return Number.isNaN(ms) ? '—' : `${(ms / 1000).toFixed(2)} s`;
}
