// What a Test button answered: success, or the channel's diagnosis (code, message, hint).
import type { ProbeResult } from '../types';

export function ProbeResultNote({ result }: { result: ProbeResult | null }) {
  if (result === null) return null;
  if (result.success) return <p class="ok" role="status">Test passed{result.status_code ? ` (HTTP ${result.status_code})` : ''}: the settings work.</p>;
  return (
    <div class="diagnosis" role="alert">
      <p><strong>Test failed: {result.error?.code ?? 'error'}</strong>{result.status_code ? ` (HTTP ${result.status_code})` : ''}</p>
      <p>{result.error?.message}</p>
      {result.error?.hint && <p class="hint">Hint: {result.error.hint}</p>}
    </div>
  );
}
