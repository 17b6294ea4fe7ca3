// The account's squids: name, last run and how each destination fared on it; create one. An
// account with none is told what to do next (the first-run path).
import { useState } from 'preact/hooks';
import { callApi } from '../api';
import { ErrorNote } from '../components/error-note';
import { formatTime } from '../format';
import { squidHref } from '../route';
import type { Delivery, Page, Squid } from '../types';
import { Pager } from '../components/pager';
import { useApi } from '../use-api';

function DestinationHealth({ runId }: { runId: string }) {
  const { data } = useApi<{ data: Delivery[] }>(`/v1/runs/${runId}/deliveries`);
  if (data === null) return <span class="muted">…</span>;
  if (data.data.length === 0) return <span class="muted">no delivery</span>;
  const latest = new Map<string, Delivery>();
  for (const delivery of data.data) latest.set(delivery.kind, delivery);
  return (
    <ul class="health">
      {[...latest.values()].map((delivery) => (
        <li key={delivery.kind}>
          <span class={`badge ${delivery.status}`}>{delivery.kind}: {delivery.status}</span>{' '}
          <span class="muted">{formatTime(delivery.finished_at ?? delivery.created_at)}</span>
        </li>
      ))}
    </ul>
  );
}

export function CreateSquidForm({ autoFocus }: { autoFocus?: boolean }) {
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    try {
      const squid = await callApi<Squid>('POST', '/v1/squids', name.trim() === '' ? {} : { name: name.trim() });
      location.hash = squidHref(squid.id);
    } catch (caught) {
      setError(caught);
    }
  };
  return (
    <form class="inline-form" onSubmit={(event) => void submit(event)}>
      <label for="new-squid-name">New squid name</label>
      <input id="new-squid-name" value={name} autoFocus={autoFocus} placeholder="my cool squid" onInput={(e) => setName(e.currentTarget.value)} />
      <button type="submit">Create squid</button>
      <ErrorNote error={error} />
    </form>
  );
}

export function SquidsPage() {
  const [page, setPage] = useState(1);
  const { data, error } = useApi<Page<Squid>>(`/v1/squids?page=${page}&limit=20`);
  if (error) return <ErrorNote error={error} />;
  if (data === null) return <p aria-busy="true">Loading…</p>;
  if (data.total_results === 0) {
    return (
      <section class="empty">
        <h1>Welcome to Squidship</h1>
        <p>You have no squid yet. A squid is one of your scrapers; its runs collect rows and deliver them as a file.</p>
        <ol>
          <li>Create a squid.</li>
          <li>Configure S3: the fields are prefilled for the embedded store (<code>my-bucket</code>, <code>exports</code>).</li>
          <li>Start a run, push the sample file, complete it.</li>
          <li>See the delivered file's key and download it.</li>
        </ol>
        <CreateSquidForm autoFocus />
      </section>
    );
  }
  return (
    <section>
      <h1>Squids</h1>
      <CreateSquidForm />
      <div class="table-wrap">
        <table>
          <caption class="visually-hidden">Squids</caption>
          <thead><tr><th scope="col">Name</th><th scope="col">Last run</th><th scope="col">Destinations (last run)</th></tr></thead>
          <tbody>
            {data.data.map((squid) => (
              <tr key={squid.id}>
                <td><a href={squidHref(squid.id)}>{squid.name}</a></td>
                <td>{squid.last_run_status ? `${squid.last_run_status.toLowerCase()}, ${formatTime(squid.last_run_at)}` : <span class="muted">no run yet</span>}</td>
                <td>{squid.last_run ? <DestinationHealth runId={squid.last_run} /> : <span class="muted">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager page={data.page} totalPages={data.total_pages} onPage={setPage} />
    </section>
  );
}
