// Telling silence from failure (docs/contract.md) as pure rules: what a silent site's nudge answered,
// crossed with whether a heartbeat followed within PROBE_CONFIRM, gives one result and a sentence
// an owner can act on. No I/O here: the probe worker records the answer, the sweep asks these rules.

export const DIAGNOSES = ['site_down', 'plugin_silent', 'probe_blocked', 'not_probed'] as const;
export type Diagnosis = (typeof DIAGNOSES)[number];
export const PROBE_RESULTS = ['woke', ...DIAGNOSES] as const;
export type ProbeResult = (typeof PROBE_RESULTS)[number];

/** What the nudge got, stored as it was recorded (jsonb in site_probes.answer). */
export type ProbeAnswer =
  /** The address rules refused the URL, or probing is off: nothing was requested. */
  | { kind: 'not_probed'; reason: string }
  /** No HTTP answer: DNS, refused, timeout, TLS, reset. `error` is already in words. */
  | { kind: 'no_answer'; error: string }
  /** `page`: the body was one of WordPress's own error pages (wordpressErrorPage). */
  | { kind: 'http'; status: number; page?: WordPressErrorPage };

/**
 * WordPress's own error pages, by the sentence each prints. Such a page means the site is down
 * even when a web server answered, and even with HTTP 200 (some hosts and caches rewrite the 500).
 */
export const WORDPRESS_ERROR_PAGES = {
  database_error: 'Error establishing a database connection',
  critical_error: 'There has been a critical error on this website',
} as const;
export type WordPressErrorPage = keyof typeof WORDPRESS_ERROR_PAGES;

/** Which WordPress error page a response body is, if any (the body as read, at most the probe's limit). */
export function wordpressErrorPage(body: string): WordPressErrorPage | undefined {
  for (const [page, marker] of Object.entries(WORDPRESS_ERROR_PAGES) as [WordPressErrorPage, string][]) {
    if (body.includes(marker)) return page;
  }
  return undefined;
}

export interface ProbeVerdict {
  result: ProbeResult;
  /** A sentence for the owner (null only when the site woke). */
  detail: string | null;
  /** The payload of the `probe` connection event: {result, http_status?, error?, woke}. */
  event: { result: ProbeResult; http_status?: number; error?: string; page?: WordPressErrorPage; woke: boolean };
}

const BLOCKED_STATUSES = new Set([401, 403, 429]);

/** Which diagnosis an answer points to when no heartbeat followed. */
export function diagnosisOf(answer: ProbeAnswer): Diagnosis {
  if (answer.kind === 'not_probed') return 'not_probed';
  if (answer.kind === 'no_answer') return 'site_down';
  if (answer.status >= 500 || answer.page) return 'site_down';
  if (BLOCKED_STATUSES.has(answer.status)) return 'probe_blocked';
  // 2xx, 3xx, and any other 4xx: a web server answered at that address, so the site is up.
  return 'plugin_silent';
}

/**
 * The rule table of docs/contract.md "Telling silence from failure": a heartbeat within PROBE_CONFIRM means the site only needed a visit
 * (whatever the nudge answered); otherwise the answer decides the diagnosis.
 */
export function judgeProbe(answer: ProbeAnswer, heartbeatSeen: boolean, confirmMs: number): ProbeVerdict {
  const http_status = answer.kind === 'http' ? answer.status : undefined;
  const error = answer.kind === 'no_answer' ? answer.error : answer.kind === 'not_probed' ? answer.reason : undefined;
  const page = answer.kind === 'http' ? answer.page : undefined;
  const facts = { ...(http_status === undefined ? {} : { http_status }), ...(error === undefined ? {} : { error }), ...(page ? { page } : {}) };
  if (heartbeatSeen) return { result: 'woke', detail: null, event: { result: 'woke', ...facts, woke: true } };
  const result = diagnosisOf(answer);
  return { result, detail: diagnosisDetail(answer, result, confirmMs), event: { result, ...facts, woke: false } };
}

function diagnosisDetail(answer: ProbeAnswer, diagnosis: Diagnosis, confirmMs: number): string {
  const wait = waitWords(confirmMs);
  switch (diagnosis) {
    case 'site_down':
      if (answer.kind === 'http' && answer.page === 'database_error') {
        return `Your site shows WordPress's "${WORDPRESS_ERROR_PAGES.database_error}" page (HTTP ${answer.status}): WordPress runs, but its database does not answer.`;
      }
      if (answer.kind === 'http' && answer.page === 'critical_error') {
        return `Your site shows WordPress's "${WORDPRESS_ERROR_PAGES.critical_error}" page (HTTP ${answer.status}): a plugin or theme stops it with a PHP error.`;
      }
      return answer.kind === 'http'
        ? `Your site answered with a server error (HTTP ${answer.status}) when we requested wp-cron.php.`
        : `Your site did not answer: ${answer.kind === 'no_answer' ? answer.error : 'no answer'}.`;
    case 'probe_blocked':
      return `Your site refused our check (HTTP ${(answer as { status: number }).status}): a firewall, security plugin or password protection blocks AgentDesk's requests, so we could not tell whether WordPress runs.`;
    case 'plugin_silent':
      return `WordPress answered (HTTP ${(answer as { status: number }).status}) when we requested wp-cron.php, but the AgentDesk plugin sent no heartbeat within ${wait}.`;
    case 'not_probed':
      return notProbedDetail(answer.kind === 'not_probed' ? answer.reason : 'no check was made');
  }
}

/** The owner's sentence for a site nobody checked, with the reason (the one wording of not_probed). */
export const notProbedDetail = (reason: string) => `We did not check the site: ${reason}.`;

function waitWords(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds % 60 === 0) return `${seconds / 60} minute${seconds === 60 ? '' : 's'}`;
  return `${seconds} seconds`;
}

/** The owner's words for each diagnosis: a heading and the next steps (digest, reminder, page). */
export const DIAGNOSIS_ADVICE: Record<Diagnosis, { heading: string; was: string; steps: readonly string[] }> = {
  site_down: {
    heading: 'Your site is down',
    was: 'your site was down',
    steps: [
      'Open the site in a browser: does it load?',
      'Check your hosting account for an outage, an expired domain or TLS certificate, or a server error.',
      'Once the site is back, the plugin reports again within 5 minutes.',
    ],
  },
  plugin_silent: {
    heading: 'WordPress answers, but the AgentDesk plugin is silent',
    was: 'WordPress answered, but the AgentDesk plugin was silent',
    steps: [
      'In WordPress, Plugins: is AgentDesk Chatbot installed and active?',
      'Settings → AgentDesk: does the token still match this bot (was it rotated)?',
      'Is WP-Cron disabled (DISABLE_WP_CRON) without a system cron job, or are outgoing HTTP requests blocked?',
    ],
  },
  probe_blocked: {
    heading: 'We could not check: your firewall blocks us',
    was: 'we could not check the site: its firewall blocked us',
    steps: [
      'Allow requests with the User-Agent "AgentDesk-Probe" to /wp-cron.php in your firewall or security plugin.',
      'Then check that the AgentDesk plugin is active in WordPress.',
    ],
  },
  not_probed: {
    heading: 'Your site stopped reporting',
    was: 'the site stopped reporting',
    steps: [
      'Is the AgentDesk plugin still active under Plugins in WordPress?',
      'Is WP-Cron running? It only runs when the site gets visits, unless a system cron calls wp-cron.php.',
      "Was the bot's token changed or rotated? Paste the current one in Settings > AgentDesk and save.",
      'Can the site reach AgentDesk (firewall, security plugin)? Save the settings page to send a test heartbeat.',
    ],
  },
};

/** A diagnosis is only true while the site is stale; once it reports again it is history. */
export function currentDiagnosis(bot: { connection_status: string; diagnosis: string | null }): Diagnosis | null {
  return bot.connection_status === 'stale' && isDiagnosis(bot.diagnosis) ? bot.diagnosis : null;
}

export function isDiagnosis(value: unknown): value is Diagnosis {
  return typeof value === 'string' && (DIAGNOSES as readonly string[]).includes(value);
}

/**
 * The nudge URL: what WordPress itself and system cron jobs request to run due events.
 * `doing_wp_cron` is sent without a value on purpose: wp-cron.php only runs events for a valued
 * `doing_wp_cron` when it equals the lock the site itself set, so `?doing_wp_cron=<time>` from
 * outside runs nothing; an empty one makes wp-cron.php take the lock itself (WordPress 6.1).
 */
export function nudgeUrl(siteUrl: string): string {
  const url = new URL(siteUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/wp-cron.php`;
  url.search = '?doing_wp_cron';
  url.hash = '';
  return url.toString();
}

/** Wait for a probe answer at most this long after it was queued; then judge without one. */
export function probeGiveUpMs(timeoutMs: number, confirmMs: number, leaseMs: number): number {
  // Two full attempts (a crash mid-probe is retried after the lease), the confirm wait, and a minute for the host limit.
  return 2 * (leaseMs + timeoutMs) + confirmMs + 60_000;
}

export interface ProbeState {
  answer: ProbeAnswer | null;
  answered_at: Date | null;
  created_at: Date;
}

/**
 * Whether a probe can be judged now: its answer is in and PROBE_CONFIRM has passed since (no wait
 * when nothing was requested), or it never completed and we stop waiting for it.
 */
export function probeReady(probe: ProbeState, now: Date, confirmMs: number, giveUpMs: number): boolean {
  if (probe.answer && probe.answered_at) {
    return probe.answer.kind === 'not_probed' || now.getTime() - probe.answered_at.getTime() >= confirmMs;
  }
  return now.getTime() - probe.created_at.getTime() >= giveUpMs;
}

/** The answer a probe is judged by; one that never completed was not a check at all. */
export function answerOf(probe: ProbeState): ProbeAnswer {
  return probe.answer ?? { kind: 'not_probed', reason: 'our check of the site did not complete' };
}
