// docs/RELIABILITY.md "Abuse": a client that sends headers and half a body, or drips its headers, does
// not hold a connection forever: the real server (listening on a socket) answers 408 and closes.
import net from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildTestApp } from '../helpers/app.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>> & { port: number };
const test = suite<Ctx>('request timeouts');

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp({ env: { REQUEST_TIMEOUT: '1s' } }));
  await ctx.app.listen({ host: '127.0.0.1', port: 0 });
  ctx.port = (ctx.app.server.address() as net.AddressInfo).port;
});
test.after(async (ctx) => {
  await ctx.app.close();
});

/** Opens a socket, writes `start`, then keeps writing `drip` every 200 ms; resolves with what came back once the server closes it. */
function stalledClient(port: number, start: string, drip?: string): Promise<{ received: string; dripped: number }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    let dripped = 0;
    const ticker = drip ? setInterval(() => socket.write(drip, () => dripped++), 200) : undefined;
    // A safety net, not a measurement: far beyond the 1 s timeout, the test fails instead of hanging.
    const guard = setTimeout(() => {
      clearInterval(ticker);
      socket.destroy();
      reject(new Error('the server kept the stalled connection open'));
    }, 20_000);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(ticker);
      clearTimeout(guard);
      resolve({ received, dripped });
    });
    socket.write(start);
  });
}

test('headers and half a body: 408, then the connection is closed', async ({ port }) => {
  const { received } = await stalledClient(
    port,
    'POST /api/bots/wordpress-heartbeat HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"site_url":"https://a.example',
  );
  // the server gave up on the request with 408 Request Timeout
  assert.match(received, /^HTTP\/1\.1 408/);
});

test('a body dripped one byte at a time is cut off as well', async ({ port }) => {
  const { received } = await stalledClient(
    port,
    'POST /api/bots/wordpress-heartbeat HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n',
    ' ',
  );
  // activity on the socket does not extend the whole-request deadline
  assert.match(received, /^HTTP\/1\.1 408/);
});

test('headers that never end are cut off', async ({ port }) => {
  const { received } = await stalledClient(port, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n', 'X-Slow: 1\r\n');
  // no answer to an incomplete request, other than a 408
  assert.ok(received === '' || /^HTTP\/1\.1 408/.test(received), received);
});

test('a normal request on the same server is answered', async ({ port }) => {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`);
  // the timeouts do not touch ordinary traffic
  assert.is(response.status, 200);
});

test.run();
