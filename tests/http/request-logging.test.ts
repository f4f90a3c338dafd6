import { Writable } from 'node:stream';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
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

test.run();
