// RELEASES_URL: a newer copy of the version tables is taken; an older, broken or unreachable one
// leaves the table in use as it was, and never throws.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createVersionTables, loadShippedTable } from '../../src/attention/version-tables.ts';

type Ctx = { server: http.Server; url: string; answer: { status: number; body: string }; warnings: string[] };
const test = suite<Ctx>('version tables and RELEASES_URL');

test.before(async (ctx) => {
  ctx.answer = { status: 200, body: '{}' };
  ctx.server = http.createServer((_request, response) => {
    response.writeHead(ctx.answer.status, { 'content-type': 'application/json' });
    response.end(ctx.answer.body);
  });
  await new Promise<void>((resolve) => ctx.server.listen(0, '127.0.0.1', resolve));
  ctx.url = `http://127.0.0.1:${(ctx.server.address() as AddressInfo).port}/releases.json`;
});
test.before.each((ctx) => {
  ctx.warnings = [];
});
test.after(async (ctx) => {
  await new Promise((resolve) => ctx.server.close(resolve));
});

const shipped = loadShippedTable();
const log = (ctx: Ctx) => ({ warn: (_obj: object, msg: string) => void ctx.warnings.push(msg) });
const table = (asOf: string, oldestWordPress = '6.0') =>
  JSON.stringify({
    as_of: asOf,
    wordpress: { latest_branch: '7.1', oldest_branch_with_security_fixes: oldestWordPress },
    php: [{ branch: '8.3', security_support_until: '2027-12-31' }],
  });

test('without RELEASES_URL the shipped table is used and nothing is fetched', async (ctx) => {
  const tables = createVersionTables({ shipped, releasesUrl: undefined, log: log(ctx) });
  // nothing to read
  assert.is(await tables.refresh(), false);
  assert.is(tables.current(), shipped);
  assert.equal(ctx.warnings, []);
});

test('a newer table at RELEASES_URL replaces the shipped one', async (ctx) => {
  ctx.answer = { status: 200, body: table('2099-01-01') };
  const tables = createVersionTables({ shipped, releasesUrl: ctx.url, log: log(ctx) });
  // taken
  assert.is(await tables.refresh(), true);
  assert.is(tables.current().wordpress.oldestBranchWithSecurityFixes, '6.0');
});

test('an older table at RELEASES_URL does not replace a newer one', async (ctx) => {
  ctx.answer = { status: 200, body: table('2001-01-01') };
  const tables = createVersionTables({ shipped, releasesUrl: ctx.url, log: log(ctx) });
  // kept the shipped one, silently (an older copy is not a fault)
  assert.is(await tables.refresh(), false);
  assert.is(tables.current(), shipped);
  assert.equal(ctx.warnings, []);
});

test('a malformed table, an error answer or an unreachable URL is logged and changes nothing', async (ctx) => {
  const cases: Array<[string, { status: number; body: string }]> = [
    [ctx.url, { status: 200, body: '{"as_of":"2099-01-01"}' }],
    [ctx.url, { status: 200, body: 'not json' }],
    [ctx.url, { status: 503, body: table('2099-01-01') }],
    // nothing listens on port 9 of loopback
    ['http://127.0.0.1:9/releases.json', { status: 200, body: '' }],
  ];
  for (const [url, answer] of cases) {
    ctx.answer = answer;
    const tables = createVersionTables({ shipped, releasesUrl: url, log: log(ctx) });
    // never throws, keeps the table in use
    assert.is(await tables.refresh(), false);
    assert.is(tables.current(), shipped);
  }
  // one warning each
  assert.is(ctx.warnings.length, cases.length);
});

test.run();
