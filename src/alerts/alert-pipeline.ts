// The alert pipeline, wired in one place: mail transport, composer settings, the SSRF-fenced
// requester, channel delivery, the outbox delivery worker, the sweep and the probe worker. The
// alert jobs (main.ts), the app's "Send a test" path and the test harness all build it here, so
// tests run the wiring production runs. Test seams are explicit overrides, never a second wiring.
import path from 'node:path';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { ServerSecret } from '../http/server-secret.ts';
import type { Metrics } from '../metrics.ts';
import { createSafeRequester, type Resolver } from '../outbound/safe-request.ts';
import { outboundSettings } from '../outbound/outbound-settings.ts';
import { createProbeWorker } from '../probes/probe-worker.ts';
import type { AlertMetrics } from '../observability/alert-metrics.ts';
import type { AlertLog } from '../mail/alert-types.ts';
import { createChannelDelivery, type ChannelDelivery } from '../channels/channel-delivery.ts';
import { composeSettings } from '../mail/compose-mail.ts';
import { createDelivery } from './delivery.ts';
import { loadEmailTemplates } from '../mail/email-templates.ts';
import { createMailTransport, type MailTransport } from '../mail/mail-transport.ts';
import { createSweep, probeLeaseMs, sweepSettings } from './sweep.ts';

export interface AlertPipelineDeps {
  config: Config;
  db: Database;
  /** The app's metrics (probe counts and durations). */
  metrics?: Pick<Metrics, 'probes' | 'probeDuration'>;
  /** app.alertMetrics: mails and notifications sent, digests, delays. */
  alertMetrics?: AlertMetrics;
  /** The app's server secret (app.serverSecret): mails carry links it signs. */
  serverSecret: Pick<ServerSecret, 'ensure'>;
  /** The one clock of the instance (tests pass theirs). */
  now: () => Date;
  log?: AlertLog;
  overrides?: {
    /** A transport of the caller's (tests: one pointing at a loopback SMTP sink). Closed by close(). */
    transport?: MailTransport;
    /** Resolves host names for probes and channel requests (tests: every name to loopback). */
    resolve?: Resolver;
  };
}

export async function createAlertPipeline(deps: AlertPipelineDeps) {
  const { config, db, log, now } = deps;
  const transport = deps.overrides?.transport ?? createMailTransport({ smtp: config.smtpUrl, outboxDir: path.join(config.dataDir, 'outbox') });
  const compose = composeSettings(config, loadEmailTemplates(), await deps.serverSecret.ensure());
  // Probes, webhooks and Slack go through the same fenced requester.
  const requester = createSafeRequester(outboundSettings(config, deps.overrides?.resolve));
  const channels = createChannelDelivery({ db, transport, requester, compose, metrics: deps.alertMetrics, log });
  const delivery = createDelivery({ db, transport, compose, metrics: deps.alertMetrics, channels, log });
  const sweep = createSweep({ db, log, metrics: deps.metrics, ...sweepSettings(config) });
  const probeWorker = createProbeWorker({
    db,
    requester,
    now,
    concurrency: config.probeConcurrency,
    leaseMs: probeLeaseMs(config.probeTimeoutMs),
    metrics: deps.metrics,
    log,
  });
  return {
    transport,
    compose,
    requester,
    channels,
    delivery,
    sweep,
    probeWorker,
    close() {
      transport.close();
    },
  };
}

export type AlertPipeline = Awaited<ReturnType<typeof createAlertPipeline>>;

/**
 * The app's own channel delivery (for "Send a test"), from the one alert pipeline built on first use:
 * the server secret is read then, and the mail transport is closed with the app.
 */
export function appChannelDelivery(
  app: {
    serverSecret: { ensure(): Promise<string> };
    alertMetrics: AlertPipelineDeps['alertMetrics'];
    log: AlertLog;
    addHook(name: 'onClose', hook: () => Promise<void>): unknown;
  },
  deps: Pick<AlertPipelineDeps, 'config' | 'db' | 'metrics' | 'now'>,
): () => Promise<ChannelDelivery> {
  let built: Promise<AlertPipeline> | undefined;
  app.addHook('onClose', async () => (await built?.catch(() => undefined))?.close());
  return async () => {
    built ??= createAlertPipeline({ ...deps, alertMetrics: app.alertMetrics, serverSecret: app.serverSecret, log: app.log });
    return (await built).channels;
  };
}
