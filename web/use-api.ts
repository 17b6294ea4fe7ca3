// Reads one API path into state, again on reload() and, with pollMs, on a timer (how the run
// page stays live without a page reload).
import { useCallback, useEffect, useState } from 'preact/hooks';
import { callApi } from './api';

export interface Loaded<T> {
  data: T | null;
  error: Error | null;
  reload: () => Promise<void>;
}

export function useApi<T>(path: string | null, pollMs?: number): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const reload = useCallback(async () => {
    if (path === null) return;
    try {
      setData(await callApi<T>('GET', path));
      setError(null);
    } catch (caught) {
      setError(caught instanceof Error ? caught : new Error(String(caught)));
    }
  }, [path]);
  useEffect(() => {
    void reload();
    if (pollMs === undefined) return undefined;
    const timer = setInterval(() => void reload(), pollMs);
    return () => clearInterval(timer);
  }, [reload, pollMs]);
  return { data, error, reload };
}
