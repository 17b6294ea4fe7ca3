// A run's deliveries with every attempt: outcome, error and hint, key, size, duration.
import { formatBytes, formatDurationMs, formatTime } from '../format';
import type { Delivery } from '../types';

function DeliveryCard({ delivery }: { delivery: Delivery }) {
  return (
    <article class="delivery" aria-label={`${delivery.kind} delivery, round ${delivery.round}`}>
      <h3>
        {delivery.kind} <span class="muted">({delivery.event}, round {delivery.round})</span>{' '}
        <span class={`badge ${delivery.status}`}>{delivery.status}</span>
      </h3>
      {delivery.key && <p>Key: <code class="object-key">{delivery.bucket ? `s3://${delivery.bucket}/` : ''}{delivery.key}</code></p>}
      {delivery.last_error && (
        <div class="diagnosis">
          <p><strong>{delivery.last_error.code}</strong>: {delivery.last_error.message}</p>
          {delivery.last_error.hint && <p class="hint">Hint: {delivery.last_error.hint}</p>}
        </div>
      )}
      <div class="table-wrap">
        <table>
          <caption class="visually-hidden">Attempts</caption>
          <thead><tr><th scope="col">#</th><th scope="col">Started</th><th scope="col">Outcome</th><th scope="col">Rows</th><th scope="col">Size</th><th scope="col">Duration</th><th scope="col">Error</th></tr></thead>
          <tbody>
            {delivery.attempt_history.map((attempt) => (
              <tr key={attempt.number}>
                <td>{attempt.number}</td>
                <td>{formatTime(attempt.started_at)}</td>
                <td>{attempt.outcome ?? 'running'}</td>
                <td>{attempt.rows ?? '—'}</td>
                <td>{formatBytes(attempt.bytes)}</td>
                <td>{formatDurationMs(attempt.started_at, attempt.ended_at)}</td>
                <td>{attempt.error?.code ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </article>
  );
}

export function DeliveryHistory({ deliveries }: { deliveries: Delivery[] }) {
  if (deliveries.length === 0) return <p class="muted">No delivery yet: deliveries start when the run is completed (or aborted), to each active destination.</p>;
  return <>{deliveries.map((delivery) => <DeliveryCard key={delivery.id} delivery={delivery} />)}</>;
}
