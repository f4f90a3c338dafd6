import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildTestApp } from '../helpers/app.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>>;
const test = suite<Ctx>('the OpenAPI document');

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp());
});
test.after(async (ctx) => {
  // the shared test database stays open for the other suites
  await ctx.app.close();
});

/**
 * Every (method, path) in Fastify's route table, read from printRoutes' tree: each line is a path
 * segment under its parent (by indentation) with its methods in parentheses.
 */
function routeTable(tree: string): Array<{ method: string; path: string }> {
  const routes: Array<{ method: string; path: string }> = [];
  const parents: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│ ]*)[└├]── (.+?) \(([A-Z, ]+)\)$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    const segment = match[2]!;
    const parent = parents[depth - 1] ?? '';
    const path = depth === 0 ? segment : `${parent}${parent.endsWith('/') || segment.startsWith('/') ? '' : '/'}${segment}`;
    parents[depth] = path;
    parents.length = depth + 1;
    for (const method of match[3]!.split(', ')) routes.push({ method, path });
  }
  return routes;
}

test('documents every route under /api/ that Fastify serves', async (ctx) => {
  const spec = (await ctx.app.inject({ method: 'GET', url: '/docs/openapi.json' })).json();
  const api = routeTable(ctx.app.printRoutes({ commonPrefix: false })).filter(
    // HEAD is added by Fastify to every GET
    (route) => route.path.startsWith('/api/') && route.method !== 'HEAD',
  );
  // the table was read (the heartbeat and the owner API at least)
  assert.ok(api.some((route) => route.path === '/api/bots/wordpress-heartbeat' && route.method === 'POST'));
  assert.ok(api.some((route) => route.path === '/api/bots/:id' && route.method === 'DELETE'));
  for (const { method, path } of api) {
    const documented = path.replace(/:(\w+)/g, '{$1}');
    // each has its operation in the document
    assert.ok(spec.paths[documented]?.[method.toLowerCase()], `${method} ${path} is missing from /docs/openapi.json`);
  }
});

test('documents the heartbeat: its four fields and every answer of docs/contract.md', async (ctx) => {
  const spec = (await ctx.app.inject({ method: 'GET', url: '/docs/openapi.json' })).json();
  const heartbeat = spec.paths['/api/bots/wordpress-heartbeat'].post;
  const body = heartbeat.requestBody.content['application/json'].schema;
  // the four fields, all required, unknown ones allowed
  assert.equal(Object.keys(body.properties).sort(), ['is_active', 'plugin_version', 'site_url', 'wp_version']);
  assert.equal([...body.required].sort(), ['is_active', 'plugin_version', 'site_url', 'wp_version']);
  assert.is(body.additionalProperties, true);
  // every answer, the retryable ones with Retry-After
  assert.equal(Object.keys(heartbeat.responses).sort(), ['200', '400', '401', '403', '413', '415', '429', '503']);
  assert.ok(heartbeat.responses['429'].headers['Retry-After']);
  assert.ok(heartbeat.responses['503'].headers['Retry-After']);
});

test('documents the service endpoints: health, readiness and metrics', async (ctx) => {
  const spec = (await ctx.app.inject({ method: 'GET', url: '/docs/openapi.json' })).json();
  for (const path of ['/healthz', '/readyz', '/metrics']) {
    // each has a GET with its 200 answer
    assert.ok(spec.paths[path]?.get?.responses['200'], path);
  }
  // metrics answer in Prometheus' text format
  assert.ok(spec.paths['/metrics'].get.responses['200'].content['text/plain']);
});

test.run();
