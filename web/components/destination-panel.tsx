// A squid's destination of one channel: its form (prefilled for a new one), an active switch,
// Save, Test, and for channels with a signing secret, Rotate. 400s are shown next to the field
// the API names; a secret the server reveals is shown this once.
import { useState } from 'preact/hooks';
import { ApiError, callApi } from '../api';
import { buildFieldsBody, findPanel, readField, type FieldSpec } from '../panels';
import type { Channel, ProbeResult } from '../types';
import { ErrorNote } from './error-note';
import { FieldInput } from './field-input';
import { ProbeResultNote } from './probe-result';

interface PanelProps {
  channel: Channel;
  squidId: string;
  /** The squid view's `<fields_key>`; null when the channel is not configured. */
  current: Record<string, unknown> | null;
  onSaved: () => void;
}

type Values = Record<string, string | boolean>;

function initialValues(fields: readonly FieldSpec[], current: Record<string, unknown> | null): Values {
  const values: Values = {};
  for (const field of fields) {
    const stored = current === null ? undefined : readField(current, field.name);
    values[field.name] = field.kind === 'secret' ? (typeof stored === 'string' ? stored : '') : typeof stored === 'boolean' || typeof stored === 'string' ? stored : current === null ? field.initial : field.kind === 'checkbox' ? false : '';
  }
  return values;
}

/** `s3_fields.bucket` (configure) and `bucket` (test) both name the field `bucket`. */
function fieldOf(error: unknown, fieldsKey: string): { name: string; message: string } | null {
  if (!(error instanceof ApiError) || error.param === null) return null;
  return { name: error.param.startsWith(`${fieldsKey}.`) ? error.param.slice(fieldsKey.length + 1) : error.param, message: error.message };
}

export function DestinationPanel({ channel, squidId, current, onSaved }: PanelProps) {
  const panel = findPanel(channel);
  const [values, setValues] = useState(() => initialValues(panel.fields, current));
  const [replacing, setReplacing] = useState<Set<string>>(() => new Set(current === null ? panel.fields.map((f) => f.name) : []));
  const [active, setActive] = useState(current === null ? true : current.is_active === true);
  const [error, setError] = useState<unknown>(null);
  const [probe, setProbe] = useState<ProbeResult | null>(null);
  const [revealed, setRevealed] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState(false);
  const idPrefix = channel.kind;
  const fieldError = fieldOf(error, channel.fields_key);
  const names = panel.fields.map((f) => f.name);

  const run = async (action: () => Promise<void>) => {
    setError(null);
    setProbe(null);
    setSaved(false);
    try {
      await action();
    } catch (caught) {
      setError(caught);
    }
  };
  const save = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const body = { [channel.fields_key]: { ...buildFieldsBody(values, names), is_active: active } };
      const answer = await callApi<Record<string, Record<string, unknown>>>('POST', `/v1/delivery?squid=${squidId}`, body);
      if (channel.secret_route !== null) setRevealed(findRevealed(answer[channel.fields_key] ?? {}));
      setSaved(true);
      onSaved();
    });
  };
  const test = () => run(async () => setProbe(await callApi<ProbeResult>('POST', `/v1/delivery/${channel.test_route}?squid=${squidId}`, buildFieldsBody(values, panel.testFields))));
  const rotate = () => run(async () => {
    const answer = await callApi<Record<string, Record<string, unknown>>>('POST', `/v1/squids/${squidId}/${channel.secret_route}`);
    setRevealed(findRevealed(answer[channel.fields_key] ?? {}));
    onSaved();
  });

  return (
    <form class="panel" onSubmit={save} aria-labelledby={`${idPrefix}-title`}>
      <h3 id={`${idPrefix}-title`}>{channel.title} <span class="muted">({channel.description})</span></h3>
      <div class="field checkbox">
        <input id={`${idPrefix}-active`} type="checkbox" role="switch" checked={active} onChange={(e) => setActive(e.currentTarget.checked)} />
        <label for={`${idPrefix}-active`}>Active: deliver runs here</label>
      </div>
      {panel.fields.map((field) => (
        <FieldInput key={field.name} idPrefix={idPrefix} field={field} value={values[field.name] ?? ''}
          error={fieldError?.name === field.name ? fieldError.message : undefined}
          masked={field.kind === 'secret' && !replacing.has(field.name) && values[field.name] !== '' ? String(values[field.name]) : null}
          onChange={(value) => setValues({ ...values, [field.name]: value })}
          onReplace={() => { setReplacing(new Set([...replacing, field.name])); setValues({ ...values, [field.name]: '' }); }} />
      ))}
      {error !== null && (fieldError === null || !names.includes(fieldError.name)) && <ErrorNote error={error} />}
      {Object.entries(revealed).map(([name, secret]) => (
        <div key={name} class="revealed" role="status">
          <p><strong>Your {name.replace(/_/g, ' ')}, shown this once:</strong> copy it now.</p>
          <input aria-label={name} readOnly value={secret} />
        </div>
      ))}
      <div class="actions">
        <button type="submit">{current === null ? `Save ${channel.title}` : `Save ${channel.title} changes`}</button>
        <button type="button" onClick={() => void test()}>Test {channel.title}</button>
        {channel.secret_route !== null && current !== null && <button type="button" onClick={() => void rotate()}>Rotate signing secret</button>}
      </div>
      {saved && <p class="ok" role="status">{channel.title} saved{active ? '' : ' (inactive)'}.</p>}
      <ProbeResultNote result={probe} />
    </form>
  );
}

/** A secret in a configure or rotate answer that is not masked is one the server just made. */
function findRevealed(fields: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).filter(([name, value]) => name.endsWith('secret') && typeof value === 'string' && !value.includes('*')) as Array<[string, string]>);
}
