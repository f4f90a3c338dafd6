// What the route-table suites share (tests/http/route-table.test.ts, tests/http/route-roles.test.ts):
// the routes anyone may call, the mutating routes that never read the session cookie, and a body
// each route accepts, so a check meets authorization and not validation.

/** Routes anyone may call, and why. */
export const PUBLIC: Record<string, string> = {
  'GET /': 'redirects to /login or /bots',
  'GET /login': 'the log-in form',
  'POST /login': 'logging in',
  'GET /signup': 'the sign-up form',
  'POST /signup': 'signing up',
  'GET /signup/confirm': 'SIGNUP=verify: the signed link in the URL is the credential (shows a button only)',
  'POST /signup/confirm': 'SIGNUP=verify: the signed link in the form is the credential',
  'POST /signup/resend': 'SIGNUP=verify: the signed token a right password put on the log-in page is the credential',
  'POST /logout': 'ends the session it is given, if any',
  'GET /healthz': 'liveness probe',
  'GET /readyz': 'readiness probe',
  'GET /metrics': 'Prometheus (METRICS_TOKEN guards it when set)',
  'POST /api/bots/wordpress-heartbeat': 'authenticated by the bot token header',
  'POST /api/bots/validate': 'authenticated by the bot token header',
  'POST /api/bots/wordpress-maintenance': 'authenticated by the bot token header',
  'POST /api/bots/wordpress-maintenance/end': 'authenticated by the bot token header',
  'GET /api/bots/config/:widgetKey': 'public widget configuration by public key',
  'GET /api/wordpress/plugin/info': 'plugin updater metadata',
  'GET /api/wordpress/plugin/download': 'plugin zip',
  'GET /widget.js': 'the chat widget script',
  'GET /terms': 'the terms of use the plugin and the sign-up form link to',
  'GET /privacy': 'the privacy policy the plugin and the sign-up form link to',
  'GET /docs/openapi.json': 'API description',
  'GET /alerts/mute': 'the signed link in the URL is the credential',
  'POST /alerts/mute': 'the signed link in the URL is the credential',
  'GET /alerts/confirm-contact': 'the signed link in the URL is the credential (a contact confirming its address)',
  'POST /alerts/confirm-contact': 'the signed link in the URL is the credential (a contact confirming its address)',
  'GET /alerts/unsubscribe': 'the signed link in the URL is the credential',
  'POST /alerts/unsubscribe': 'the signed link in the URL is the credential (RFC 8058 one-click)',
  'GET /static/htmx.min.js': 'static asset',
  'GET /static/*': 'static assets',
};

/** Mutating routes that never act on the session cookie, so need no CSRF token. */
export const NO_SESSION: Record<string, string> = {
  'POST /api/bots/wordpress-heartbeat': 'bot token only',
  'POST /api/bots/validate': 'bot token only',
  'POST /api/bots/wordpress-maintenance': 'bot token only',
  'POST /api/bots/wordpress-maintenance/end': 'bot token only',
  'POST /alerts/mute': 'signed link only',
  'POST /alerts/unsubscribe': 'signed link only',
  'POST /alerts/confirm-contact': 'signed link only',
};

/** A body each route accepts, so the check meets authorization and not validation. */
export const BODIES: Record<string, Record<string, string>> = {
  'POST /bots': { name: 'Via CSRF' },
  'POST /bots/:id/edit': { name: 'taken over' },
  'POST /bots/:id/mute': { duration: '24h' },
  'POST /bots/:id/grace': { stale_grace_minutes: '5' },
  'POST /account': { name: 'taken over' },
  'POST /account/password': { current_password: 'correct horse battery', new_password: 'taken over 123', confirm_password: 'taken over 123' },
  'POST /login': { email: 'x@example.test', password: 'whatever1' },
  'POST /signup': { email: 'csrf-check@example.test', password: 'long enough pass' },
  'PUT /api/bots/:id': { name: 'taken over' },
  'PUT /api/channels/:id': { name: 'taken over' },
  'POST /channels': { kind: 'email', name: 'Via CSRF', target: 'csrf@example.test' },
  'POST /channels/:id': { name: 'taken over' },
  'POST /api/channels': { kind: 'email', name: 'Via CSRF', target: 'csrf@example.test' },
  'POST /api/bots': { name: 'Via CSRF' },
  'POST /api/bots/:id/maintenance': { minutes: '60' },
  'POST /bots/:id/maintenance': { minutes: '60' },
  'POST /api/maintenance': { minutes: '60' },
  'POST /api/maintenance/schedules': { weekday: '1', start: '09:00', minutes: '60' },
  'POST /maintenance/window': { minutes: '60' },
  'POST /maintenance/schedules': { weekday: '1', start: '09:00', minutes: '60' },
  'PUT /api/members/:id': { role: 'viewer' },
  'POST /members/:id/role': { role: 'viewer' },
};
