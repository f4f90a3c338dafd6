// A real HAProxy (Debian `haproxy`, 2.6 here) on a loopback port, balancing HTTP round-robin over
// service instances on loopback ports, health-checked on /healthz: the load balancer of the
// cluster benchmark and its CI test (docs/SCALING.md).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitForPort } from './pgbouncer.ts';
import { freePort } from './system.ts';
import { missingCommand } from './system.ts';

export const missingHaproxy = () => missingCommand('haproxy', 'haproxy');

export interface Haproxy {
  url: string;
  close(): Promise<void>;
}

export async function startHaproxy(backendPorts: number[]): Promise<Haproxy> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-haproxy-'));
  const cfg = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(
    cfg,
    [
      'global',
      '  maxconn 2000',
      'defaults',
      '  mode http',
      '  timeout connect 1s',
      '  timeout client 30s',
      '  timeout server 30s',
      // A request an instance never answered (killed, refused) goes to another one. Heartbeats
      // may be repeated safely: the service answers 200 only after the commit.
      '  retries 3',
      '  option redispatch 1',
      '  retry-on conn-failure empty-response response-timeout',
      'frontend agentdesk',
      `  bind 127.0.0.1:${port}`,
      '  default_backend instances',
      'backend instances',
      '  balance roundrobin',
      '  option httpchk GET /healthz',
      ...backendPorts.map((p, i) => `  server instance${i + 1} 127.0.0.1:${p} check inter 500 fall 2 rise 1`),
      '',
    ].join('\n'),
  );
  let output = '';
  const child: ChildProcess = spawn('haproxy', ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout!, child.stderr!]) stream.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`haproxy exited with ${code}:\n${output}`))));
  exited.catch(() => {});
  try {
    await Promise.race([waitForPort(port), exited]);
  } catch (error) {
    child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        const done = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await done;
        clearTimeout(timer);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
