// GET /terms and GET /privacy: the pages the WordPress plugin links site owners to. Public,
// cacheable, truthful by default, replaceable by the operator (a file of their own, or their URL).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildTestApp, createOwner } from '../helpers/app.ts';
import { browser, loggedIn } from '../helpers/dashboard.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>>;
const test = suite<Ctx>('the terms of use and privacy pages');

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp({ env: { OPERATOR_EMAIL: 'privacy@operator.example', PUBLIC_URL: 'https://agentdesk.example.com' } }));
});
test.after(async (ctx) => {
  await ctx.app.close();
});

const textOf = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/\s+/g, ' ');

test('both pages answer anyone with a cacheable HTML page in the dashboard layout', async (ctx) => {
  const owner = await createOwner(ctx.db);
  const session = await loggedIn(ctx.app, owner.user.email, owner.password);
  for (const url of ['/terms', '/privacy']) {
    for (const cookies of [{}, session.cookies]) {
      const response = await ctx.app.inject({ method: 'GET', url, cookies, headers: { accept: 'text/html' } });
      // 200, HTML, the layout and its security headers
      assert.is(response.statusCode, 200, url);
      assert.match(String(response.headers['content-type']), /^text\/html/);
      assert.match(response.body, /<link rel="stylesheet" href="\/static\/app.css">/);
      assert.ok(response.headers['content-security-policy'], `${url} has helmet's headers`);
      // the same page for every reader: shared caches may keep it, and it sets no cookie
      assert.is(response.headers['cache-control'], 'public, max-age=3600');
      assert.is(response.headers['set-cookie'], undefined);
      assert.not.match(response.body, /Log out|csrf-token" content="[^"]/);
    }
    const head = await ctx.app.inject({ method: 'HEAD', url });
    // HEAD answers too, without a body
    assert.is(head.statusCode, 200);
    assert.match(String(head.headers['content-type']), /^text\/html/);
    assert.is(head.body, '');
  }
});

test('the privacy policy names what the plugin sends, the probe and how long things are kept', async (ctx) => {
  const text = textOf((await ctx.app.inject({ method: 'GET', url: '/privacy' })).body);
  // the heartbeat's four fields, every 5 minutes, nothing about visitors
  for (const field of ['site URL', 'plugin version', 'WordPress version', 'active flag']) assert.ok(text.includes(field), field);
  // heartbeat 1.2's site-health facts, each named, the cron modes from the code that checks them
  for (const field of ['PHP version', 'wp-cron, alternate, system, disabled', 'environment type', 'multisite network']) assert.ok(text.includes(field), field);
  assert.match(text, /every 5 minutes/);
  assert.match(text, /Nothing about the site's visitors/);
  // the probe: which URL, with which User-Agent, after how long
  assert.match(text, /<site URL>\/wp-cron\.php\?doing_wp_cron/);
  assert.match(text, /User-Agent AgentDesk-Probe\/\d+\.\d+\.\d+ \(\+https:\/\/agentdesk\.example\.com\/privacy#probe\)/);
  assert.match(text, /no heartbeat for 10 minutes/);
  // retention as the code prunes it, and the operator's address
  assert.match(text, /Hourly heartbeat counts 8 days/);
  assert.match(text, /Records of requests to sites \(above\) 8 days/);
  assert.match(text, /privacy@operator\.example/);
});

test('the terms of use link the privacy policy and state the limits this instance applies', async (ctx) => {
  const body = (await ctx.app.inject({ method: 'GET', url: '/terms' })).body;
  // the heartbeat limit from HEARTBEAT_RATE_LIMIT, the stale delay, the privacy link
  assert.match(textOf(body), /at most 30 a minute per token/);
  assert.match(textOf(body), /silent after 10 minutes/);
  assert.match(body, /href="\/privacy"/);
});

test('with probing off, the privacy policy says sites are not requested', async () => {
  const { app } = await buildTestApp({ env: { PROBE: 'off' } });
  try {
    const text = textOf((await app.inject({ method: 'GET', url: '/privacy' })).body);
    // no wp-cron request described
    assert.match(text, /does not request sites/);
    assert.not.match(text, /AgentDesk-Probe/);
  } finally {
    await app.close();
  }
});

test("the operator's file replaces a page; a URL sends readers to their own page", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'agentdesk-legal-'));
  const file = path.join(dir, 'terms.html');
  writeFileSync(file, '<h1>Acme terms</h1>\n<p>Acme Hosting GmbH runs this service.</p>\n');
  const { app } = await buildTestApp({ env: { TERMS_FILE: file, PRIVACY_URL: 'https://acme.example/privacy' } });
  try {
    const terms = await app.inject({ method: 'GET', url: '/terms' });
    // the operator's HTML as written, inside the layout, cacheable like the built-in page
    assert.is(terms.statusCode, 200);
    assert.match(terms.body, /<h1>Acme terms<\/h1>\n<p>Acme Hosting GmbH runs this service.<\/p>/);
    assert.match(terms.body, /<title>Terms of use · AgentDesk<\/title>/);
    assert.not.match(terms.body, /built-in terms/);
    assert.is(terms.headers['cache-control'], 'public, max-age=3600');
    // read once at start: a later edit of the file changes nothing until a restart
    writeFileSync(file, '<p>changed</p>');
    assert.match((await app.inject({ method: 'GET', url: '/terms' })).body, /Acme terms/);
    const privacy = await app.inject({ method: 'GET', url: '/privacy' });
    // the privacy page redirects (302) to the operator's
    assert.is(privacy.statusCode, 302);
    assert.is(privacy.headers.location, 'https://acme.example/privacy');
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every page links both in its footer; the sign-up form cites them', async (ctx) => {
  const b = browser(ctx.app);
  const login = await b.get('/login');
  // footer links on a dashboard page
  assert.match(login.body, /<footer[^>]*><a href="\/terms">Terms of use<\/a> · <a href="\/privacy">Privacy<\/a><\/footer>/);
  const signup = await b.get('/signup');
  // "By signing up you agree to the terms of use", above the button
  assert.match(signup.body, /By signing up you agree to the <a href="\/terms">terms of use<\/a>/);
});

test('the pages stay out of the OpenAPI document, like the other pages', async (ctx) => {
  const spec = (await ctx.app.inject({ method: 'GET', url: '/docs/openapi.json' })).json();
  // not API operations
  assert.is(spec.paths['/terms'], undefined);
  assert.is(spec.paths['/privacy'], undefined);
});

test.run();
