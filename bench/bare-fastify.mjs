// The baseline of bench/heartbeat-ingest.ts: a bare Fastify route in its own process, with
// Fastify's defaults (no logger, no plugins). Prints its port on stdout once listening.
import Fastify from 'fastify';

const app = Fastify();
app.get('/bare', async () => ({ success: true }));
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${app.server.address().port}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
