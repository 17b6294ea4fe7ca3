// The ceiling for bench:api: a bare Fastify server answering {"hello":"world"}, no logger, no
// plugins. Run as its own process: node --import tsx bench/lib/fastify-hello.ts <port>.
import Fastify from 'fastify';

const port = Number(process.argv[2] ?? 0);
const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
await app.listen({ host: '127.0.0.1', port });
const stop = (): void => void app.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
