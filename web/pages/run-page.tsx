// One run: push results while it runs, complete or abort it, then watch its deliveries (polled
// until nothing is in flight), deliver again, download the file, see its first rows.
import { useState } from 'preact/hooks';
import { callApi } from '../api';
import { DeliveryHistory } from '../components/delivery-history';
import { ErrorNote } from '../components/error-note';
import { ResultsTable } from '../components/results-table';
import { exportStatus } from '../components/runs-list';
import { UploadPanel } from '../components/upload-panel';
import { formatTime } from '../format';
import { squidHref } from '../route';
import type { Delivery, Run } from '../types';
import { useApi } from '../use-api';

const POLL_MS = 1000;

function isSettled(run: Run | null, deliveries: Delivery[] | undefined): boolean {
  if (run === null || run.status === 'running' || run.status === 'uploading') return false;
  return (deliveries ?? []).every((delivery) => delivery.status === 'succeeded' || delivery.status === 'failed');
}

export function RunPage({ id }: { id: string }) {
  const [settled, setSettled] = useState(false);
  const run = useApi<Run>(`/v1/runs/${id}`, settled ? undefined : POLL_MS);
  const deliveries = useApi<{ data: Delivery[] }>(`/v1/runs/${id}/deliveries`, settled ? undefined : POLL_MS);
  const [error, setError] = useState<unknown>(null);
  const [download, setDownload] = useState<string | null>(null);
  const nowSettled = isSettled(run.data, deliveries.data?.data);
  if (nowSettled !== settled) setSettled(nowSettled);
  const act = async (method: string, path: string) => {
    setError(null);
    try {
      await callApi(method, path);
      setSettled(false);
      await Promise.all([run.reload(), deliveries.reload()]);
    } catch (caught) {
      setError(caught);
    }
  };
  const fetchDownload = async () => {
    setError(null);
    try {
      setDownload((await callApi<{ s3: string }>('GET', `/v1/runs/${id}/download`)).s3);
    } catch (caught) {
      setError(caught);
    }
  };
  if (run.error) return <ErrorNote error={run.error} />;
  if (run.data === null) return <p aria-busy="true">Loading…</p>;
  const current = run.data;
  const ended = current.ended_at !== null;
  return (
    <>
      <p><a href={squidHref(current.squid)}>← The squid</a></p>
      <h1>Run {current.id.slice(0, 8)}</h1>
      <dl class="facts">
        <dt>Status</dt><dd><span class={`badge ${current.status}`} data-testid="run-status">{current.status}</span></dd>
        <dt>Rows</dt><dd data-testid="run-rows">{current.total_results}</dd>
        <dt>Started</dt><dd>{formatTime(current.started_at)}</dd>
        <dt>Ended</dt><dd>{formatTime(current.ended_at)}</dd>
        <dt>Export</dt><dd data-testid="run-export">{exportStatus(current)}</dd>
      </dl>
      {current.status === 'running' && (
        <>
          <UploadPanel runId={id} onUploaded={() => void run.reload()} />
          <div class="actions">
            <button type="button" onClick={() => void act('POST', `/v1/runs/${id}/complete`)}>Complete run</button>
            <button type="button" class="danger" onClick={() => void act('POST', `/v1/runs/${id}/abort`)}>Abort run</button>
          </div>
        </>
      )}
      <ErrorNote error={error} />
      <section aria-labelledby="deliveries-title">
        <h2 id="deliveries-title">Deliveries</h2>
        {ended && (
          <div class="actions">
            <button type="button" onClick={() => void act('POST', `/v1/runs/${id}/deliveries`)}>Re-deliver</button>
            <button type="button" onClick={() => void fetchDownload()}>Get download link</button>
            {download && <a class="button" href={download} download rel="noreferrer">Download the file</a>}
          </div>
        )}
        {deliveries.data === null ? <p aria-busy="true">Loading…</p> : <DeliveryHistory deliveries={deliveries.data.data} />}
      </section>
      <section aria-labelledby="results-title">
        <h2 id="results-title">Results</h2>
        <ResultsTable key={current.total_results} runId={id} />
      </section>
    </>
  );
}
