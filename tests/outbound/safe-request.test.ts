// The outbound fence against request forgery (the address rules of docs/contract.md), against real listeners on
// loopback: each test asserts on the listener whether anything connected at all.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createSafeRequester, forbiddenAddressReason, outboundUserAgent, type Resolver, type SafeRequestSettings } from '../../src/outbound/safe-request.ts';

interface Listener {
  port: number;
  url: string;
  connections: number;
  requests: http.IncomingMessage[];
  close(): Promise<void>;
}

/** A local HTTP server that counts every TCP connection, answering with `handler`. */
async function listen(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_req, res) => res.end('ok')): Promise<Listener> {
  const sockets = new Set<Socket>();
  const state = { connections: 0, requests: [] as http.IncomingMessage[] };
  const server = http.createServer((req, res) => {
    state.requests.push(req);
    handler(req, res);
  });
  server.on('connection', (socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return state.connections;
    },
    requests: state.requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const UA = outboundUserAgent('0.1.0', 'https://desk.example.test');
const requester = (overrides: Partial<SafeRequestSettings> = {}) =>
  createSafeRequester({ allowPrivate: false, extraPorts: [], timeoutMs: 2_000, userAgent: UA, ...overrides });
const resolvingTo =
  (...addresses: string[]): Resolver =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

const test = suite<{ target: Listener }>('outbound requests: SSRF fence');

test.before(async (ctx) => {
  ctx.target = await listen();
});
test.after(async (ctx) => {
  await ctx.target.close();
});

const REFUSED: Array<[string, RegExp]> = [
  ['127.0.0.1', /loopback/],
  ['127.8.9.10', /loopback/],
  ['::1', /loopback/],
  ['10.1.2.3', /private range/],
  ['172.16.0.1', /private range/],
  ['192.168.1.1', /private range/],
  ['100.64.0.1', /carrier-grade NAT/],
  ['169.254.169.254', /link-local/],
  ['fe80::1', /link-local/],
  ['fc00::1', /unique-local/],
  ['fd12:3456::1', /unique-local/],
  ['224.0.0.1', /multicast/],
  ['ff02::1', /multicast/],
  ['0.0.0.0', /unspecified/],
  ['::', /unspecified/],
  ['255.255.255.255', /broadcast/],
  ['::ffff:127.0.0.1', /^the address is in a loopback range$/],
  ['::ffff:10.0.0.1', /^the address is in a private range$/],
  ['::ffff:169.254.169.254', /^the address is in a link-local range$/],
  ['192.0.2.10', /reserved/],
  ['1::1', /outside the IPv6 global unicast range/],
];

// Every IPv6 form that carries an IPv4 address, each embedding a refused one (loopback, private,
// the cloud metadata address): the refusal names the embedded address's rule.
const EMBEDDED: Array<[string, string, RegExp]> = [
  ['IPv4-compatible', '::7f00:1', /IPv4 address that is in a loopback range/],
  ['IPv4-compatible, dotted', '::127.0.0.1', /IPv4 address that is in a loopback range/],
  ['IPv4-compatible', '::a00:1', /IPv4 address that is in a private range/],
  ['IPv4-compatible', '::a9fe:a9fe', /IPv4 address that is in a link-local range/],
  ['IPv4-mapped', '::ffff:7f00:1', /in a loopback range/],
  ['IPv4-translated', '::ffff:0:a00:1', /IPv4 address that is in a private range/],
  ['NAT64', '64:ff9b::7f00:1', /IPv4 address that is in a loopback range/],
  ['NAT64', '64:ff9b::169.254.169.254', /IPv4 address that is in a link-local range/],
  ['NAT64 local-use', '64:ff9b:1::a00:1', /NAT64 local-use range/],
  ['6to4', '2002:7f00:1::1', /IPv4 address that is in a loopback range/],
  ['6to4', '2002:c0a8:101::1', /IPv4 address that is in a private range/],
  // Teredo keeps the client's IPv4 address bit-flipped in its last 32 bits: 80ff:fffe is 127.0.0.1.
  ['Teredo', '2001:0:4136:e378:8000:63bf:80ff:fffe', /IPv4 address that is in a loopback range/],
];

test('names the rule that refuses every address class, IPv4-mapped forms unwrapped, and lets global unicast through', () => {
  for (const [address, words] of REFUSED) {
    // refused, with the range in words
    assert.match(forbiddenAddressReason(address) ?? 'allowed', words, address);
  }
  for (const address of ['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '::ffff:93.184.215.14']) {
    // public addresses are allowed
    assert.is(forbiddenAddressReason(address), undefined, address);
  }
});

test('refuses every IPv6 form that embeds a refused IPv4 address, and the forms themselves whatever they embed', () => {
  for (const [form, address, words] of EMBEDDED) {
    // refused, naming the embedded address's rule
    assert.match(forbiddenAddressReason(address) ?? 'allowed', words, `${form} ${address}`);
  }
  for (const [form, address] of [
    ['IPv4-compatible', '::8.8.8.8'],
    ['NAT64', '64:ff9b::808:808'],
    ['6to4', '2002:808:808::1'],
    ['Teredo', '2001:0:4136:e378:8000:63bf:f7f7:f7f7'],
  ]) {
    // a public IPv4 address is reached at that address, never through a translator or relay
    assert.match(forbiddenAddressReason(address!) ?? 'allowed', new RegExp(`the ${form} range`), `${form} ${address}`);
  }
});

test('a refusal names the rule, never an address', () => {
  for (const [address] of [...REFUSED, ...EMBEDDED.map(([, a]) => [a] as const)]) {
    const why = forbiddenAddressReason(address) ?? '';
    // no digits of an address in the words (only a rule such as "in a private range")
    assert.not.match(why, /\d+\.\d+|[0-9a-f]*:[0-9a-f]*:/i, address);
  }
});

test('refuses a URL naming each forbidden address class, and nothing connects', async ({ target }) => {
  const fence = requester({ extraPorts: [target.port] });
  for (const [address] of [...REFUSED, ...EMBEDDED.map(([, a]) => [a] as const)]) {
    const host = address.includes(':') ? `[${address}]` : address;
    const outcome = await fence.request(`http://${host}:${target.port}/wp-cron.php`);
    // refused by the address rule before any connection
    assert.is(outcome.kind, 'refused', address);
    assert.is(outcome.kind === 'refused' && outcome.reason, 'address', address);
  }
  // the listener on 127.0.0.1 saw no connection at all
  assert.is(target.connections, 0);
});

test('refuses http://[::127.0.0.1]/, which the URL parser reads as ::7f00:1', async () => {
  const outcome = await requester().request('http://[::127.0.0.1]/');
  // refused by the address rule, not attempted
  assert.is(outcome.kind === 'refused' && outcome.reason, 'address');
});

test('refuses a host name that resolves to loopback, or to a public and a private address, without saying where it points', async ({ target }) => {
  const toLoopback = requester({ extraPorts: [target.port], resolve: resolvingTo('127.0.0.1') });
  const outcome = await toLoopback.request(`http://innocent.example.com:${target.port}/`);
  // refused, naming the rule only: the resolved address is not told to the owner
  assert.is(outcome.kind, 'refused');
  assert.is(outcome.kind === 'refused' ? outcome.message : '', 'the address is in a loopback range');
  const mixed = requester({ extraPorts: [target.port], resolve: resolvingTo('93.184.215.14', '10.20.30.40') });
  const refused = await mixed.request(`http://mixed.example.com:${target.port}/`);
  // any forbidden address among the answers refuses the whole request, and neither answer is echoed
  assert.is(refused.kind, 'refused');
  assert.is(refused.kind === 'refused' ? refused.message : '', 'the address is in a private range');
  assert.is(target.connections, 0);
});

test('connects to the address it checked, keeping the host name in Host (no second lookup)', async ({ target }) => {
  let lookups = 0;
  const pinned = requester({
    allowPrivate: true,
    extraPorts: [target.port],
    resolve: async () => {
      lookups++;
      return [{ address: '127.0.0.1', family: 4 }];
    },
  });
  const before = target.requests.length;
  const outcome = await pinned.request(`http://shop.example.test:${target.port}/wp-cron.php?doing_wp_cron`);
  // answered by the listener, resolved exactly once
  assert.is(outcome.kind, 'response');
  assert.is(lookups, 1);
  const seen = target.requests[before]!;
  // the request names the site, and says who we are
  assert.is(seen.headers.host, `shop.example.test:${target.port}`);
  assert.is(seen.headers['user-agent'], 'AgentDesk-Probe/0.1.0 (+https://desk.example.test/privacy#probe)');
  assert.is(seen.url, '/wp-cron.php?doing_wp_cron');
});

test('refuses other schemes, credentials and ports outside 80, 443 and PROBE_PORTS', async ({ target }) => {
  const open = requester({ allowPrivate: true });
  const before = target.connections;
  const cases: Array<[string, string]> = [
    ['ftp://127.0.0.1/', 'scheme'],
    ['file:///etc/passwd', 'scheme'],
    [`http://user:pass@127.0.0.1:${target.port}/`, 'credentials'],
    [`http://127.0.0.1:${target.port}/`, 'port'],
    ['http://127.0.0.1:22/', 'port'],
    ['not a url', 'bad_url'],
  ];
  for (const [url, reason] of cases) {
    const outcome = await open.request(url);
    // refused for the right reason, even with the address rule lifted
    assert.is(outcome.kind === 'refused' && outcome.reason, reason, url);
  }
  // nothing reached the listener
  assert.is(target.connections, before);
  const withPort = requester({ allowPrivate: true, extraPorts: [target.port] });
  // the same port, once configured, is allowed
  assert.is((await withPort.request(`${target.url}/`)).kind, 'response');
});

test('does not follow a redirect to a private address', async () => {
  const internal = await listen();
  const redirecting = await listen((_req, res) => {
    res.writeHead(302, { location: `${internal.url}/latest/meta-data/` });
    res.end();
  });
  try {
    const fence = requester({ allowPrivate: true, extraPorts: [redirecting.port, internal.port] });
    const outcome = await fence.request(`${redirecting.url}/wp-cron.php`);
    // the 302 is the answer
    assert.is(outcome.kind === 'response' && outcome.status, 302);
    // and the redirect target was never contacted
    assert.is(internal.connections, 0);
  } finally {
    await redirecting.close();
    await internal.close();
  }
});

test('gives up on a slow body and on a server that never answers, at the timeout', async () => {
  const timers: NodeJS.Timeout[] = [];
  const slow = await listen((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    timers.push(setInterval(() => res.write('.'), 50));
  });
  const mute = await listen(() => {});
  try {
    const fence = requester({ allowPrivate: true, extraPorts: [slow.port, mute.port], timeoutMs: 400 });
    const trickle = await fence.request(`${slow.url}/`);
    // a trickling body is a timeout, in words
    assert.is(trickle.kind === 'failed' && trickle.reason, 'timeout');
    assert.match(trickle.kind === 'failed' ? trickle.message : '', 'no complete answer within 0.4 s');
    const silent = await fence.request(`${mute.url}/`);
    // so is a server that accepts and says nothing
    assert.is(silent.kind === 'failed' && silent.reason, 'timeout');
  } finally {
    for (const timer of timers) clearInterval(timer);
    await slow.close();
    await mute.close();
  }
});

test('reads at most 64 KB of an endless body, then hangs up', async () => {
  let markClosed: () => void = () => {};
  const closed = new Promise<boolean>((resolve) => (markClosed = () => resolve(true)));
  const endless = await listen((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const chunk = Buffer.alloc(16 * 1024, 'x');
    const pump = () => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', pump);
    };
    req.socket.on('close', () => markClosed());
    pump();
  });
  try {
    const outcome = await requester({ allowPrivate: true, extraPorts: [endless.port] }).request(`${endless.url}/`);
    // exactly 64 KiB kept, marked truncated
    assert.is(outcome.kind, 'response');
    assert.is(outcome.kind === 'response' && outcome.body.length, 64 * 1024);
    assert.is(outcome.kind === 'response' && outcome.truncated, true);
    // and the connection is closed rather than read forever (waited for, up to 5 s)
    const giveUp = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5_000).unref());
    assert.ok(await Promise.race([closed, giveUp]));
  } finally {
    await endless.close();
  }
});

test('reports refused connections and DNS failures as failures in words', async () => {
  const gone = await listen();
  const port = gone.port;
  await gone.close();
  const fence = requester({ allowPrivate: true, extraPorts: [port] });
  const refused = await fence.request(`http://127.0.0.1:${port}/`);
  // connection refused, with where
  assert.is(refused.kind === 'failed' && refused.reason, 'refused');
  assert.match(refused.kind === 'failed' ? refused.message : '', `connection refused (127.0.0.1:${port}, ECONNREFUSED)`);
  const noName = requester({
    resolve: async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    },
  });
  const dns = await noName.request('https://gone.example.com/');
  // a DNS failure names the host
  assert.is(dns.kind === 'failed' && dns.reason, 'dns');
  assert.match(dns.kind === 'failed' ? dns.message : '', 'DNS lookup failed for gone.example.com (ENOTFOUND)');
});

test.run();
