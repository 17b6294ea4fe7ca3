// LISTEN squidship_deliveries on a dedicated connection (a pooled one would be handed to other
// queries). If the connection drops it reconnects with capped backoff and then calls the
// listener once, since a NOTIFY may have been missed while it was down.
import pg from 'pg';

export const DELIVERY_CHANNEL = 'squidship_deliveries';

const RECONNECT_BASE_MS = 100;
const RECONNECT_MAX_MS = 5000;

export async function listenDeliveryWakeups(
  clientConfig: pg.ClientConfig,
  listener: () => void,
): Promise<() => Promise<void>> {
  let current: pg.Client | null = null;
  let stopped = false;
  let failures = 0;
  let retryTimer: NodeJS.Timeout | null = null;

  const connect = async (): Promise<void> => {
    const client = new pg.Client(clientConfig);
    client.on('notification', (message) => {
      if (message.channel === DELIVERY_CHANNEL) listener();
    });
    // An 'error' event without a handler would crash the process; a dropped connection is
    // expected (server restart, network) and answered by reconnecting.
    client.on('error', () => dropped(client));
    client.on('end', () => dropped(client));
    current = client;
    await client.connect();
    await client.query(`LISTEN ${DELIVERY_CHANNEL}`);
    failures = 0;
  };

  const dropped = (client: pg.Client): void => {
    if (stopped || current !== client) return;
    current = null;
    client.end().catch(() => {
      // Already broken: the error that ended it is the one being answered by reconnecting.
    });
    const delayMs = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** failures);
    failures += 1;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      connect().then(
        () => listener(),
        () => {
          // connect() failed before or after the 'error' event: make sure a retry is scheduled.
          if (current !== null) dropped(current);
        },
      );
    }, delayMs);
  };

  try {
    await connect();
  } catch (error) {
    // No subscription: the caller learns the database is unreachable, and nothing retries.
    stopped = true;
    // Assigned inside connect(), which TypeScript's narrowing does not follow.
    const failed = current as pg.Client | null;
    await failed?.end().catch(() => {
      // The connection never opened; `error` says why, and is what the caller gets.
    });
    throw error;
  }
  return async () => {
    stopped = true;
    if (retryTimer !== null) clearTimeout(retryTimer);
    const client = current;
    current = null;
    if (client !== null) await client.end();
  };
}
