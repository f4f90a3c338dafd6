// The baseline of bench/heartbeat-ingest.ts: a bare Fastify route in its own process, with
// Fastify's defaults (no logger, no plugins). It is a POST, as the heartbeat is: the load
// generator sends both the same request (JSON body, x-bot-token header, same connections), and
// Fastify parses the JSON body here too. Prints its port on stdout once listening.
import Fastify from 'fastify';

const app = Fastify();
app.post('/bare', async (request) => ({ success: request.headers['x-bot-token'] !== undefined && typeof request.body === 'object' }));
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${app.server.address().port}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
