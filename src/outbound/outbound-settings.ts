// The outbound fence's settings from the configuration: one place, so probes now and webhooks
// later (docs/contract.md "Telling silence from failure": outbound URLs follow the address rules) are fenced alike.
import { readFileSync } from 'node:fs';
import type { Config } from '../config.ts';
import { outboundUserAgent, type Resolver, type SafeRequestSettings } from './safe-request.ts';

const SERVICE_VERSION: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

export function outboundSettings(config: Config, resolve?: Resolver): SafeRequestSettings {
  return {
    allowPrivate: config.probeAllowPrivate,
    extraPorts: config.probePorts,
    timeoutMs: config.probeTimeoutMs,
    userAgent: outboundUserAgent(SERVICE_VERSION, config.publicUrl),
    ...(resolve ? { resolve } : {}),
  };
}
