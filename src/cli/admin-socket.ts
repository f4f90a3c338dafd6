// While the server holds the embedded (single-process) database, CLI commands reach it through a
// Unix socket in DATA_DIR that only the same OS user can open (mode 0600).
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { AppError } from '../errors.ts';
import { parseCommand, runCommand, type CommandDeps } from './commands.ts';

export function adminSocketPath(dataDir: string): string {
  return path.join(dataDir, 'agentdesk.sock');
}

/** Longest Unix socket path Linux accepts (sun_path minus the terminator). */
const MAX_SOCKET_PATH = 107;

export async function startAdminSocket(deps: CommandDeps, dataDir: string): Promise<{ close(): Promise<void> } | undefined> {
  const socketPath = adminSocketPath(dataDir);
  if (socketPath.length > MAX_SOCKET_PATH) return undefined;
  fs.rmSync(socketPath, { force: true }); // left by a process that died; we hold the database lock now
  const server = http.createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', async () => {
      let status = 200;
      let payload: unknown;
      try {
        const { argv } = JSON.parse(body) as { argv: string[] };
        payload = { ok: true, result: await runCommand(deps, parseCommand(argv)) };
      } catch (error) {
        status = error instanceof AppError ? error.statusCode : 500;
        payload = { ok: false, error: (error as Error).message };
      }
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socketPath, resolve));
  fs.chmodSync(socketPath, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        fs.rmSync(socketPath, { force: true });
      }),
  };
}

/** Sends argv to the server's socket; resolves with its result or rejects with its error message. */
export function forwardToServer(dataDir: string, argv: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { socketPath: adminSocketPath(dataDir), path: '/cli', method: 'POST', headers: { 'content-type': 'application/json' } },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => {
          try {
            const parsed = JSON.parse(body) as { ok: boolean; result?: Record<string, unknown>; error?: string };
            if (parsed.ok) resolve(parsed.result!);
            else reject(new Error(parsed.error));
          } catch {
            reject(new Error('The running server gave an unreadable answer'));
          }
        });
      },
    );
    request.on('error', reject);
    request.end(JSON.stringify({ argv }));
  });
}
