// Pages are addressed by the URL's fragment (#/squids/ID), so the server serves one document
// and a reload keeps the page; nothing secret is ever put in it.
import { useEffect, useState } from 'preact/hooks';

export type Route = { page: 'squids' } | { page: 'squid'; id: string } | { page: 'run'; id: string };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/');
  if (parts[0] === 'squids' && parts[1]) return { page: 'squid', id: parts[1] };
  if (parts[0] === 'runs' && parts[1]) return { page: 'run', id: parts[1] };
  return { page: 'squids' };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}

export const squidHref = (id: string) => `#/squids/${id}`;
export const runHref = (id: string) => `#/runs/${id}`;
