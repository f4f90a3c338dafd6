#!/usr/bin/env node
// The `agentdesk` command (npx agentdesk …): runs the compiled CLI (build/cli.js, made by `npm ci`
// through scripts/build-server.mjs) when build/ is current; in a checkout whose sources changed
// since the last build, the TypeScript CLI through tsx, so a command never runs stale code.
import { buildIsCurrent } from '../scripts/build-server.mjs';

if (buildIsCurrent()) {
  await import('../build/cli.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
