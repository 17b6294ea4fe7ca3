// One labelled field of a destination panel, with the API's message for it underneath. A
// stored secret is shown masked with a "Replace" button: it is never shown back.
import type { FieldSpec } from '../panels';

interface FieldInputProps {
  idPrefix: string;
  field: FieldSpec;
  value: string | boolean;
  error: string | undefined;
  /** The stored secret as the server masks it; null when there is none or it is being replaced. */
  masked: string | null;
  onChange: (value: string | boolean) => void;
  onReplace: () => void;
}

export function FieldInput({ idPrefix, field, value, error, masked, onChange, onReplace }: FieldInputProps) {
  const id = `${idPrefix}-${field.name.replace(/\./g, '-')}`;
  const describedBy = [error ? `${id}-error` : '', field.help ? `${id}-help` : ''].filter(Boolean).join(' ') || undefined;
  const help = field.help && <small id={`${id}-help`} class="muted">{field.help}</small>;
  const errorText = error && <p id={`${id}-error`} class="error field-error">{error}</p>;
  if (field.kind === 'checkbox') {
    return (
      <div class="field checkbox">
        <input id={id} type="checkbox" checked={value === true} aria-describedby={describedBy} aria-invalid={error ? true : undefined}
          onChange={(e) => onChange(e.currentTarget.checked)} />
        <label for={id}>{field.label}</label>
        {help}
        {errorText}
      </div>
    );
  }
  if (field.kind === 'secret' && masked !== null) {
    return (
      <div class="field">
        <label for={id}>{field.label}</label>
        <div class="secret-row">
          <input id={id} value={masked} readOnly aria-describedby={describedBy} />
          <button type="button" onClick={onReplace}>Replace<span class="visually-hidden"> {field.label}</span></button>
        </div>
        {help}
        {errorText}
      </div>
    );
  }
  return (
    <div class="field">
      <label for={id}>{field.label}</label>
      <input id={id} type={field.kind === 'secret' ? 'password' : field.kind === 'url' ? 'url' : 'text'} value={String(value)} autocomplete="off"
        aria-describedby={describedBy} aria-invalid={error ? true : undefined} onInput={(e) => onChange(e.currentTarget.value)} />
      {help}
      {errorText}
    </div>
  );
}
