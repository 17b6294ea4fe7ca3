// One settings panel per delivery channel, keyed by the channel's kind: the one place to add a
// panel when the server gains a channel. The server's GET /v1/channels decides which panels
// show; a channel with no entry here gets a plain panel built from its field schema.
import type { Channel } from './types';

export interface FieldSpec {
  /** The key inside `<fields_key>`; dotted for nested objects (`events.run.done`). */
  name: string;
  label: string;
  kind: 'text' | 'url' | 'secret' | 'checkbox';
  /** The value of a new configuration (S3: the embedded store's bucket and folder). */
  initial: string | boolean;
  help?: string;
}

export interface PanelSpec {
  fields: FieldSpec[];
  /** Fields the test route takes (the rest are configure-only). */
  testFields: string[];
}

const PANELS: Record<string, PanelSpec> = {
  s3: {
    fields: [
      { name: 'bucket', label: 'Bucket', kind: 'text', initial: 'my-bucket', help: 'my-bucket is the embedded store\'s bucket (npm start).' },
      { name: 'target_path', label: 'Folder (target path)', kind: 'text', initial: 'exports', help: '"" writes at the bucket root.' },
      { name: 'aws_access_key', label: 'Access key', kind: 'secret', initial: '', help: 'Any value works on the embedded store.' },
      { name: 'aws_secret_key', label: 'Secret key', kind: 'secret', initial: '' },
      { name: 'region', label: 'Region', kind: 'text', initial: '', help: 'Empty: the server\'s default.' },
      { name: 'endpoint', label: 'Endpoint', kind: 'url', initial: '', help: 'Empty: the server\'s default (the embedded store under npm start).' },
      { name: 'force_path_style', label: 'Path-style URLs', kind: 'checkbox', initial: false },
    ],
    testFields: ['bucket', 'target_path', 'aws_access_key', 'aws_secret_key', 'region', 'endpoint', 'force_path_style'],
  },
  webhook: {
    fields: [
      { name: 'url', label: 'Endpoint URL', kind: 'url', initial: '' },
      { name: 'retry', label: 'Retry failed calls', kind: 'checkbox', initial: true },
      { name: 'events.run.running', label: 'Event run.running', kind: 'checkbox', initial: false },
      { name: 'events.run.done', label: 'Event run.done', kind: 'checkbox', initial: true },
      { name: 'events.run.error', label: 'Event run.error', kind: 'checkbox', initial: true },
      { name: 'events.run.paused', label: 'Event run.paused (never sent)', kind: 'checkbox', initial: false },
    ],
    testFields: ['url'],
  },
};

function isBooleanSchema(schema: { type?: string | string[] }): boolean {
  return schema.type === 'boolean' || (Array.isArray(schema.type) && schema.type.includes('boolean'));
}

export function findPanel(channel: Channel): PanelSpec {
  const known = PANELS[channel.kind];
  if (known !== undefined) return known;
  const fields = Object.entries(channel.fields)
    .filter(([name]) => name !== 'is_active')
    .map(([name, schema]): FieldSpec => ({ name, label: name, kind: isBooleanSchema(schema) ? 'checkbox' : 'text', initial: isBooleanSchema(schema) ? false : '' }));
  return { fields, testFields: fields.map((field) => field.name) };
}

/** The webhook's events are one object in the API: `events.run.done` is events["run.done"]. */
export function readField(fields: Record<string, unknown>, name: string): unknown {
  if (!name.startsWith('events.')) return fields[name];
  const events = fields.events as Record<string, unknown> | undefined;
  return events?.[name.slice('events.'.length)];
}

export function buildFieldsBody(values: Record<string, string | boolean>, names: readonly string[]): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const name of names) {
    const value = values[name];
    if (value === undefined || (value === '' && name !== 'target_path')) continue;
    if (name.startsWith('events.')) {
      const events = (body.events ??= {}) as Record<string, unknown>;
      events[name.slice('events.'.length)] = value;
    } else body[name] = value;
  }
  return body;
}
