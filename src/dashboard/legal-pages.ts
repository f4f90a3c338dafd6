// GET /terms and GET /privacy: the terms of use and privacy policy that the WordPress plugin links
// site owners to (<service>/terms, <service>/privacy: its readme's "External services" section and
// its settings page) and the sign-up form cites. Public and the same for every reader, so they are
// cacheable. The built-in text is filled from the configuration, so it states what this instance
// really does (its stale delay, whether it probes, how long it keeps what). The operator replaces
// either page with an HTML fragment (TERMS_FILE / PRIVACY_FILE, read once by src/config.ts) or sends
// readers to their own page (TERMS_URL / PRIVACY_URL).
import type { FastifyInstance } from 'fastify';
import { SESSION_TTL_MS } from '../accounts/session-service.ts';
import type { Config, LegalPage } from '../config.ts';
import { HEARTBEAT_HISTORY_DAYS, PROBE_HISTORY_DAYS } from '../domain/retention.ts';
import { REMINDERS_STOP_AFTER_MS } from '../domain/alert-rules.ts';
import { formatDuration } from '../domain/duration.ts';
import { outboundSettings } from '../outbound/outbound-settings.ts';
import type { PageRenderer } from './session-hooks.ts';

/** An hour, as /widget.js: a changed text reaches every reader within it. */
export const LEGAL_PAGE_MAX_AGE_SECONDS = 3600;

const PAGES = [
  { path: '/terms', name: 'terms', title: 'Terms of use' },
  { path: '/privacy', name: 'privacy', title: 'Privacy policy' },
] as const;

export async function legalPages(app: FastifyInstance, { config, render }: { config: Config; render: PageRenderer }) {
  const facts = serviceFacts(config);
  for (const { path, name, title } of PAGES) {
    const page: LegalPage = config.legalPages[name];
    // Pages, not API operations: hidden from the OpenAPI document like the other pages.
    app.get(path, { schema: { hide: true } }, async (_request, reply) => {
      if (page.source === 'url') return reply.redirect(page.url, 302);
      if (page.source === 'file') return render.publicPage(reply, 'legal-file', { title, html: page.html }, LEGAL_PAGE_MAX_AGE_SECONDS);
      return render.publicPage(reply, name, { title, ...facts }, LEGAL_PAGE_MAX_AGE_SECONDS);
    });
  }
}

/** What the built-in text says about this instance, from the same settings and constants the code runs on. */
function serviceFacts(config: Config) {
  return {
    serviceUrl: config.publicUrl,
    operatorEmail: config.operatorEmail,
    staleAfter: formatDuration(config.staleAfterMs),
    probe: config.probe,
    probeConfirm: formatDuration(config.probeConfirmMs),
    probeUserAgent: outboundSettings(config).userAgent,
    heartbeatRateLimit: config.heartbeatRateLimit,
    alertRepeat: formatDuration(config.alertRepeatMs),
    remindersStopAfter: formatDuration(REMINDERS_STOP_AFTER_MS),
    heartbeatHistoryDays: HEARTBEAT_HISTORY_DAYS,
    probeHistoryDays: PROBE_HISTORY_DAYS,
    sessionDays: SESSION_TTL_MS / 86_400_000,
  };
}
