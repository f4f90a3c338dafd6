import { Writable } from 'node:stream';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { HEARTBEAT_PATH } from '../../src/heartbeats/heartbeat-routes.ts';
import { lazyChildLoggersFor } from '../../src/http/request-logging.ts';
import { buildTestApp, createBotFor, createOwner, postHeartbeat } from '../helpers/app.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>> & { lines: Array<Record<string, any>> };
const test = suite<Ctx>('request logging');

test.before(async (ctx) => {
  ctx.lines = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      ctx.lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  Object.assign(ctx, await buildTestApp({ logger: { level: 'info', stream } }));
});
test.after(async (ctx) => {
  await ctx.app.close();
});
test.before.each((ctx) => {
  ctx.lines.length = 0;
});

test('an accepted heartbeat writes no log line', async (ctx) => {
  const { user } = await createOwner(ctx.db);
  const { token } = await createBotFor(ctx.db, user.id);
  const response = await postHeartbeat(ctx.app, token);
  // accepted
  assert.is(response.statusCode, 200);
  // and silent: the metrics count it
  assert.equal(ctx.lines, []);
});

test('a refused heartbeat writes one line naming the request and the answer', async (ctx) => {
  const response = await postHeartbeat(ctx.app, 'bot_unknownunknownunknown1234');
  const requestLines = ctx.lines.filter((line) => line.reqId);
  // refused
  assert.is(response.statusCode, 401);
  // one line, with the route and the status
  assert.is(requestLines.length, 1);
  assert.is(requestLines[0]!.req.url, '/api/bots/wordpress-heartbeat');
  assert.is(requestLines[0]!.res.statusCode, 401);
});

test('every other route logs its request and its answer as Fastify does', async (ctx) => {
  await ctx.app.inject({ method: 'GET', url: '/healthz' });
  // "incoming request" then "request completed"
  assert.equal(
    ctx.lines.map((line) => line.msg),
    ['incoming request', 'request completed'],
  );
});

test('a heartbeat request makes its child logger only when it logs; other requests at once', async () => {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const app = Fastify({ logger: { level: 'info', stream } });
  let made = 0;
  const parent = Object.create(app.log) as FastifyBaseLogger;
  parent.child = (bindings, options) => {
    made++;
    return app.log.child(bindings, options);
  };
  const factory = lazyChildLoggersFor([HEARTBEAT_PATH]);
  const request = (url: string) => ({ url }) as IncomingMessage;
  const heartbeatLog = factory.call(app, parent, { reqId: 'req-1' }, {}, request(HEARTBEAT_PATH));
  // nothing made for a heartbeat that has not logged
  assert.is(made, 0);
  heartbeatLog.warn({ res: { statusCode: 401 } }, 'request completed');
  heartbeatLog.info('again');
  // made once, on the first line, which carries the request id
  assert.is(made, 1);
  assert.equal(lines.map((line) => [line.reqId, line.msg]), [['req-1', 'request completed'], ['req-1', 'again']]);
  // any other path: at once, as Fastify does
  factory.call(app, parent, { reqId: 'req-2' }, {}, request('/healthz'));
  assert.is(made, 2);
  await app.close();
});

test.run();
