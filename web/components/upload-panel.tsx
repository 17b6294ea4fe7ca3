// Pushes results into a running run: a file (.ndjson, .jsonl, .json or .csv, streamed by the browser
// with a progress bar) or the bundled sample file.
import { useState } from 'preact/hooks';
import { contentTypeFor, uploadResults } from '../api';
import { ErrorNote } from './error-note';

export function UploadPanel({ runId, onUploaded }: { runId: string; onUploaded: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<{ sent: number; total: number } | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const push = async (body: Blob, contentType: string, label: string) => {
    setBusy(true);
    setError(null);
    setMessage(null);
    setProgress({ sent: 0, total: body.size });
    try {
      const answer = await uploadResults(runId, body, contentType, (sent, total) => setProgress({ sent, total }));
      setMessage(`${label}: ${answer.accepted} rows added.`);
      onUploaded();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  const upload = (event: Event) => {
    event.preventDefault();
    if (file === null) return;
    const contentType = contentTypeFor(file.name);
    if (contentType === null) {
      setError(new Error(`${file.name}: choose a .ndjson, .jsonl, .json or .csv file.`));
      return;
    }
    void push(file, contentType, file.name);
  };
  const pushSample = async () => {
    const response = await fetch('/sample-results.ndjson');
    await push(await response.blob(), 'application/x-ndjson', 'Sample file');
  };
  const percent = progress === null || progress.total === 0 ? 0 : Math.floor((progress.sent / progress.total) * 100);
  return (
    <form class="panel" onSubmit={upload} aria-labelledby="upload-title">
      <h2 id="upload-title">Push results</h2>
      <div class="field">
        <label for="results-file">Results file (.ndjson, .jsonl, .json array or .csv)</label>
        <input id="results-file" type="file" accept=".ndjson,.jsonl,.json,.csv,application/x-ndjson,application/json,text/csv" onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} />
      </div>
      <div class="actions">
        <button type="submit" disabled={busy || file === null}>Upload file</button>
        <button type="button" disabled={busy} onClick={() => void pushSample()}>Push the sample file</button>
      </div>
      {progress !== null && (
        <div class="progress">
          <label for="upload-progress">Upload progress</label>
          <progress id="upload-progress" max={100} value={percent}>{percent}%</progress>
          <span aria-live="polite">{percent}%</span>
        </div>
      )}
      {message && <p class="ok" role="status">{message}</p>}
      <ErrorNote error={error} />
    </form>
  );
}
