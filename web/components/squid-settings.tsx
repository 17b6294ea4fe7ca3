// A squid's name and export settings, and its deletion behind a confirmation.
import { useState } from 'preact/hooks';
import { ApiError, callApi } from '../api';
import type { Squid } from '../types';
import { ErrorNote } from './error-note';

export function SquidSettings({ squid, onSaved }: { squid: Squid; onSaved: () => void }) {
  const [name, setName] = useState(squid.name);
  const [unique, setUnique] = useState(squid.export_unique_results);
  const [noLineBreaks, setNoLineBreaks] = useState(squid.no_line_breaks);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const save = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setSaved(false);
    try {
      await callApi('POST', `/v1/squids/${squid.id}`, { name, export_unique_results: unique, no_line_breaks: noLineBreaks });
      setSaved(true);
      onSaved();
    } catch (caught) {
      setError(caught);
    }
  };
  const remove = async () => {
    try {
      await callApi('DELETE', `/v1/squids/${squid.id}`);
      location.hash = '#/';
    } catch (caught) {
      setError(caught);
    }
  };
  const nameError = error instanceof ApiError && error.param === 'name' ? error.message : null;
  return (
    <form class="panel" onSubmit={(event) => void save(event)} aria-labelledby="settings-title">
      <h2 id="settings-title">Settings</h2>
      <div class="field">
        <label for="squid-name">Name</label>
        <input id="squid-name" value={name} required onInput={(e) => setName(e.currentTarget.value)} aria-invalid={nameError ? true : undefined} aria-describedby={nameError ? 'squid-name-error' : undefined} />
        {nameError && <p id="squid-name-error" class="error field-error">{nameError}</p>}
      </div>
      <div class="field checkbox">
        <input id="squid-unique" type="checkbox" checked={unique} onChange={(e) => setUnique(e.currentTarget.checked)} />
        <label for="squid-unique">Export unique results only (export_unique_results)</label>
      </div>
      <div class="field checkbox">
        <input id="squid-no-line-breaks" type="checkbox" checked={noLineBreaks} onChange={(e) => setNoLineBreaks(e.currentTarget.checked)} />
        <label for="squid-no-line-breaks">Replace line breaks in values with spaces (no_line_breaks)</label>
      </div>
      {error !== null && nameError === null && <ErrorNote error={error} />}
      <div class="actions">
        <button type="submit">Save settings</button>
        {!confirming && <button type="button" class="danger" onClick={() => setConfirming(true)}>Delete squid…</button>}
      </div>
      {saved && <p class="ok" role="status">Settings saved.</p>}
      {confirming && (
        <div class="confirm" role="alertdialog" aria-labelledby="confirm-delete-text">
          <p id="confirm-delete-text">Delete “{squid.name}” with all its runs, results and delivery settings? This cannot be undone.</p>
          <button type="button" class="danger" onClick={() => void remove()}>Yes, delete it</button>
          {/* Focus on the safe choice: Enter right after "Delete squid…" must not delete. */}
          <button type="button" onClick={() => setConfirming(false)} autoFocus>Cancel</button>
        </div>
      )}
    </form>
  );
}
