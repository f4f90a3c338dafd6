// A real browser for the page suites: Debian's chromium through playwright-core, and the app
// listening on a loopback port for it to reach.
import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { suiteCanRun } from './system.ts';

export const CHROMIUM = '/usr/bin/chromium';

/** Whether a browser suite can run here (it skips with the reason otherwise, except under CI). */
export const browserSuiteCanRun = (suiteName: string) =>
  suiteCanRun(suiteName, fs.existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is not installed (apt-get install chromium)`);

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** Starts the app on a random loopback port; its base URL. */
export async function listenOnLoopback(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}
