// Sign-in: the token `npm start` printed (or `squidship token create`), checked with GET /v1/me
// before it is kept.
import { useState } from 'preact/hooks';
import { ApiError, callApi } from '../api';
import { clearToken, saveToken } from '../session';

export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    saveToken(token.trim());
    try {
      await callApi('GET', '/v1/me');
      onSignedIn();
    } catch (caught) {
      clearToken();
      setError(caught instanceof ApiError && caught.status === 401 ? 'This token is not valid: paste the token the server printed when it first started.' : String(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="sign-in">
      <h1>Squidship</h1>
      <p>Paste your API token. <code>npm start</code> prints one the first time it runs; <code>squidship token create</code> makes another.</p>
      <form onSubmit={(event) => void submit(event)}>
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autocomplete="off" required value={token} onInput={(e) => setToken(e.currentTarget.value)}
          aria-describedby={error ? 'token-error' : undefined} aria-invalid={error ? true : undefined} />
        {error && <p id="token-error" class="error" role="alert">{error}</p>}
        <button type="submit" disabled={busy}>Sign in</button>
      </form>
      <p class="muted">The token is kept in this tab only (sessionStorage) and sent as <code>Authorization: Token</code>.</p>
    </main>
  );
}
