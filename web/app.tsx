// The shell: sign-in until a token is kept, then the header (with sign-out) and the page the
// URL's fragment names.
import { useEffect, useState } from 'preact/hooks';
import { setSignedOutHandler } from './api';
import { RunPage } from './pages/run-page';
import { SignIn } from './pages/sign-in';
import { SquidPage } from './pages/squid-page';
import { SquidsPage } from './pages/squids-page';
import { useRoute } from './route';
import { clearToken, readToken } from './session';

export function App() {
  const [signedIn, setSignedIn] = useState(() => readToken() !== null);
  const route = useRoute();
  useEffect(() => setSignedOutHandler(() => setSignedIn(false)), []);
  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;
  const signOut = () => {
    clearToken();
    location.hash = '#/';
    setSignedIn(false);
  };
  return (
    <>
      <header class="top">
        <a class="brand" href="#/">Squidship</a>
        <nav aria-label="Main">
          <a href="#/">Squids</a>
          <a href="/docs">API docs</a>
          <button type="button" class="link" onClick={signOut}>Sign out</button>
        </nav>
      </header>
      <main id="main">
        {route.page === 'squids' && <SquidsPage />}
        {route.page === 'squid' && <SquidPage key={route.id} id={route.id} />}
        {route.page === 'run' && <RunPage key={route.id} id={route.id} />}
      </main>
    </>
  );
}
