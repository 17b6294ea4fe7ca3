// A squid's runs, newest first and paginated, and the button that starts one.
import { useState } from 'preact/hooks';
import { callApi } from '../api';
import { formatTime } from '../format';
import { runHref } from '../route';
import type { Page, Run } from '../types';
import { useApi } from '../use-api';
import { ErrorNote } from './error-note';
import { Pager } from './pager';

export const RUNS_PAGE_SIZE = 20;

export function exportStatus(run: Run): string {
  if (run.export_done === true) return run.done_reason === 'export_fix' ? 'delivered (after a fix)' : 'delivered';
  if (run.done_reason === 'export_failed') return 'failed';
  if (run.status === 'uploading') return 'delivering';
  return '—';
}

export function RunsTable({ runs }: { runs: Run[] }) {
  return (
    <div class="table-wrap">
      <table>
        <caption class="visually-hidden">Runs</caption>
        <thead><tr><th scope="col">Run</th><th scope="col">Status</th><th scope="col">Rows</th><th scope="col">Started</th><th scope="col">Ended</th><th scope="col">Export</th></tr></thead>
        <tbody>
          {runs.map((run) => (
            <tr key={run.id}>
              <td><a href={runHref(run.id)}>{run.id.slice(0, 8)}</a></td>
              <td><span class={`badge ${run.status}`}>{run.status}</span></td>
              <td>{run.total_results}</td>
              <td>{formatTime(run.started_at)}</td>
              <td>{formatTime(run.ended_at)}</td>
              <td>{exportStatus(run)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function RunsList({ squidId }: { squidId: string }) {
  const [page, setPage] = useState(1);
  const [error, setError] = useState<unknown>(null);
  const { data } = useApi<Page<Run>>(`/v1/runs?squid=${squidId}&page=${page}&limit=${RUNS_PAGE_SIZE}`);
  const start = async () => {
    try {
      const run = await callApi<Run>('POST', '/v1/runs', { squid: squidId });
      location.hash = runHref(run.id);
    } catch (caught) {
      setError(caught);
    }
  };
  return (
    <section aria-labelledby="runs-title">
      <h2 id="runs-title">Runs</h2>
      <button type="button" onClick={() => void start()}>Start a run</button>
      <ErrorNote error={error} />
      {data === null ? <p aria-busy="true">Loading…</p> : data.total_results === 0 ? <p class="muted">No run yet.</p> : <RunsTable runs={data.data} />}
      {data && <Pager page={data.page} totalPages={data.total_pages} onPage={setPage} />}
    </section>
  );
}
