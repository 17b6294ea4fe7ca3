// Sends one HTTP/1.1 request as exact bytes over a loopback socket and reads its answer: for
// tests that must send what a client library sends (header order and casing, body bytes),
// which fetch and node:http would change (their own headers, chunking).
import { connect } from 'node:net';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** `head` is the request line and header lines (no final blank line); `body` is sent as is. */
export async function sendRawRequest(baseUrl: string, head: string[], body: string): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl);
  const socket = connect(Number(port), hostname);
  socket.write(Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), Buffer.from(body, 'utf8')]));
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const answer = parseAnswer(received);
      if (answer === null) return;
      socket.destroy();
      resolve(answer);
    });
    socket.on('close', () => reject(new Error(`the connection closed before a whole answer: ${received.toString('latin1')}`)));
  });
}

/** The answer once its headers and Content-Length bytes of body are in, else null. */
function parseAnswer(received: Buffer): RawAnswer | null {
  const end = received.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine, ...lines] = received.subarray(0, end).toString('latin1').split('\r\n');
  const headers = Object.fromEntries(lines.map((line) => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
  }));
  const length = Number(headers['content-length'] ?? 0);
  if (received.length < end + 4 + length) return null;
  return { status: Number(statusLine!.split(' ')[1]), headers, body: received.subarray(end + 4, end + 4 + length).toString('utf8') };
}
