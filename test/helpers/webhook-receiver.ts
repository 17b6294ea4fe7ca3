// A real HTTP receiver on loopback for webhook tests: records every request (headers, raw body,
// arrival time) and answers from a script of faults (a status, a hang past the timeout, a reset)
// before answering 200 by default.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ReceiverAnswer = number | 'hang' | 'reset';

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  receivedAtMs: number;
  answer: ReceiverAnswer;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** The next requests' answers, in order; afterwards every request gets `fallback`. */
  script(answers: ReceiverAnswer[]): void;
  fallback: ReceiverAnswer;
  /** Called on each request before it is answered (e.g. to read the run's status then). */
  onRequest?: (received: ReceivedWebhook) => Promise<void> | void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const queue: ReceiverAnswer[] = [];
  const receiver: WebhookReceiver = {
    url: '',
    received: [],
    fallback: 200,
    script: (answers) => queue.push(...answers),
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const answer = queue.shift() ?? receiver.fallback;
      const received = { headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), receivedAtMs: Date.now(), answer };
      receiver.received.push(received);
      void Promise.resolve(receiver.onRequest?.(received)).then(() => {
        if (answer === 'hang') return;
        if (answer === 'reset') {
          request.socket.destroy();
          return;
        }
        response.writeHead(answer, { 'content-type': 'text/plain' }).end(`answer ${answer} ${'x'.repeat(2000)}`);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return receiver;
}
