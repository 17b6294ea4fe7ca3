// One squid: its settings, a panel per delivery channel the server has, and its runs.
import { DestinationPanel } from '../components/destination-panel';
import { ErrorNote } from '../components/error-note';
import { RunsList } from '../components/runs-list';
import { SquidSettings } from '../components/squid-settings';
import type { Channel, Squid } from '../types';
import { useApi } from '../use-api';

export function SquidPage({ id }: { id: string }) {
  const squid = useApi<Squid>(`/v1/squids/${id}`);
  const channels = useApi<{ data: Channel[] }>('/v1/channels');
  if (squid.error) return <ErrorNote error={squid.error} />;
  if (squid.data === null || channels.data === null) return <p aria-busy="true">Loading…</p>;
  const view = squid.data;
  const configured = channels.data.data.some((channel) => view[channel.fields_key] !== null && view[channel.fields_key] !== undefined);
  return (
    <>
      <p><a href="#/">← All squids</a></p>
      <h1>{view.name}</h1>
      {!configured && <p class="next-step">Next: configure where runs go. The S3 panel is prefilled for the embedded store; save it, then start a run.</p>}
      <SquidSettings key={view.name} squid={view} onSaved={() => void squid.reload()} />
      <section aria-labelledby="destinations-title">
        <h2 id="destinations-title">Destinations</h2>
        {channels.data.data.map((channel, index) => {
          const current = (view[channel.fields_key] as Record<string, unknown> | null) ?? null;
          // The first channel (S3) is open for a first configuration; others open once configured.
          return (
            <details key={channel.kind} open={current !== null || index === 0}>
              <summary>{channel.title}: {current === null ? 'not configured' : current.is_active === true ? 'active' : 'inactive'}</summary>
              <DestinationPanel channel={channel} squidId={view.id} current={current} onSaved={() => void squid.reload()} />
            </details>
          );
        })}
      </section>
      <RunsList squidId={view.id} />
    </>
  );
}
