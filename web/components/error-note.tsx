// An API error as the user reads it: the message, and the error type for a search or a report.
import { ApiError } from '../api';

export function ErrorNote({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  const type = error instanceof ApiError ? error.type : null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <p class="error" role="alert">
      {message}
      {type && <span class="muted"> ({type})</span>}
    </p>
  );
}
