// Sign-up (with SIGNUP=verify, its confirmation link), log in, log out, account settings and the owner's API keys. Every POST checks the CSRF token (preHandler);
// log in is throttled per IP (route rate limit, every attempt) and per email from one address
// (failures only): guessing one account's password from one address stops, while its owner,
// elsewhere, still logs in with the right password. A password change checks the current
// password under the same two limits and the same failure count, so a stolen session cannot
// guess it faster than the log-in form allows.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccountService } from '../accounts/account-service.ts';
import type { ApiKeyService } from '../accounts/api-key-service.ts';
import type { SessionService } from '../accounts/session-service.ts';
import type { UserService } from '../accounts/user-service.ts';
import type { TeamService } from '../accounts/team-service.ts';
import { atLeast, keepsAnOwner, mayDo, ROLES } from '../domain/roles.ts';
import type { ConfirmOutcome, SignupConfirmation } from '../alerts/signup-links.ts';
import type { DigestSettingsService } from '../attention/digest-settings-service.ts';
import type { Config } from '../config.ts';
import { parseEmail } from '../domain/email-address.ts';
import { formatExact } from '../domain/time-ago.ts';
import { AppError, ConflictError, ValidationError, WrongPasswordError } from '../errors.ts';
import { SESSION_COOKIE } from '../http/authenticate.ts';
import { createFailureCounter } from '../http/failure-counter.ts';
import { fields, form, text } from '../http/text-schemas.ts';
import { askedNext, requireViewer, safeNext, sessionCookieOptions, type PageRenderer } from './session-hooks.ts';

export interface LoginLimits {
  /** Attempts per client IP per window (log in and sign-up). */
  perIp: number;
  /** Failed log-ins per email address from one client address per window. */
  perEmail: number;
  windowMs: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { perIp: 30, perEmail: 10, windowMs: 15 * 60_000 };

export interface AccountRouteDeps {
  config: Config;
  users: UserService;
  sessions: SessionService;
  accounts: AccountService;
  keys: ApiKeyService;
  team: TeamService;
  render: PageRenderer;
  loginLimits: LoginLimits;
  confirmations: SignupConfirmation;
  now: () => Date;
  /** The weekly attention digest's settings form appears when given. */
  digest?: DigestSettingsService;
}

type Form = Record<string, string | undefined>;

// Every field these routes read is declared: a repeated field or a control character is a 400.
const email = text({ maxLength: 320 });
const password = text({ maxLength: 1024 });
const schemas = {
  loginPage: { querystring: fields({ next: text({ maxLength: 2000 }), left: text({ maxLength: 1 }) }) },
  login: { body: form({ email, password, next: text({ maxLength: 2000 }) }) },
  signup: { body: form({ email, password, name: text({ maxLength: 200 }), timezone: text({ maxLength: 100 }), next: text({ maxLength: 2000 }) }) },
  logout: { body: form() },
  accountPage: { querystring: fields({ saved: text({ maxLength: 10 }), password: text({ maxLength: 20 }), revoked: text({ maxLength: 10 }), keys_revoked: text({ maxLength: 10 }) }) },
  action: { body: form() },
  newKey: { body: form({ name: text({ maxLength: 100 }), role: text({ maxLength: 20 }) }) },
  switchAccount: { body: form({ account_id: text({ maxLength: 100 }) }) },
  notify: { body: form({ notify: text({ maxLength: 10 }) }) },
  account: { body: form({ name: text({ maxLength: 200 }), timezone: text({ maxLength: 100 }), alert_emails: text({ maxLength: 10 }) }) },
  password: { body: form({ current_password: password, new_password: password, confirm_password: password }) },
  confirmPage: { querystring: fields({ t: text({ maxLength: 1024 }), next: text({ maxLength: 2000 }) }) },
  token: { body: form({ t: text({ maxLength: 1024 }), next: text({ maxLength: 2000 }) }) },
};

export const SIGNUP_EMAIL_REFUSED = 'This email address cannot be used for a new account. If you already have an account, log in instead.';

const TIMEZONES = ['UTC', ...Intl.supportedValuesOf('timeZone').filter((zone) => zone !== 'UTC')];

export async function accountRoutes(app: FastifyInstance, deps: AccountRouteDeps) {
  const { config, users, sessions, accounts, keys, team, render, loginLimits, confirmations, now } = deps;
  const csrf = app.csrfProtection;
  const perIp = { rateLimit: { max: loginLimits.perIp, timeWindow: loginLimits.windowMs } };
  const failedLogins = createFailureCounter({ max: loginLimits.perEmail, windowMs: loginLimits.windowMs, now });
  // verify is open too: anyone may sign up, and logs in once the address confirmed its link.
  const signupOpen = config.signup !== 'closed';
  const verify = config.signup === 'verify';

  /** Failed password checks count per email from one client address, at log-in and on the account page alike. */
  // Log-in and password-change failures share one count per address in its stored form and client address.
  const failureKey = (request: FastifyRequest, storedEmail: string) => `${storedEmail}\n${request.ip}`;

  const startSession = async (request: FastifyRequest, reply: FastifyReply, user: Parameters<SessionService['startSession']>[0], next: string) => {
    const token = await sessions.startSession(user, request.headers['user-agent']);
    reply.setCookie(SESSION_COOKIE, token, sessionCookieOptions(request, config));
    return reply.redirect(next, 303);
  };

  app.get('/', async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    const viewer = token ? await sessions.userForSession(token) : undefined;
    return reply.redirect(viewer ? '/bots' : '/login', 303);
  });

  app.get<{ Querystring: Form }>('/login', { schema: schemas.loginPage }, async (request, reply) =>
    render.page(request, reply, 'login', { next: safeNext(request.query.next), signupOpen, left: request.query.left === '1' }),
  );

  app.post<{ Body: Form }>('/login', { schema: schemas.login, preHandler: csrf, config: perIp }, async (request, reply) => {
    const body = request.body ?? {};
    const next = safeNext(body.next);
    // Every spelling of one address is one address, for the password check and its failure count.
    const email = parseEmail(body.email ?? '');
    if (!email.ok) {
      reply.code(400);
      return render.page(request, reply, 'login', { error: `${email.message}.`, email: body.email, next, signupOpen });
    }
    const failures = failureKey(request, email.value);
    const wait = failedLogins.retryAfterSeconds(failures);
    if (wait > 0) {
      reply.header('Retry-After', String(wait));
      throw new AppError(429, `Too many failed log-ins for this email from your address. Try again in ${Math.ceil(wait / 60)} minutes.`);
    }
    const user = await sessions.checkPassword(email.value, body.password ?? '');
    if (!user) {
      failedLogins.fail(failures);
      reply.code(401);
      return render.page(request, reply, 'login', { error: 'Wrong email or password.', email: body.email, next, signupOpen });
    }
    failedLogins.reset(failures);
    if (user.confirmation_required_since) {
      // The password matched, so this is the owner of the account: say what is missing, and
      // offer the link again (at most once an hour).
      reply.code(403);
      return render.page(request, reply, 'signup-confirm', {
        title: 'Confirm your email address first',
        error: `This account can be used once its email address is confirmed. We sent a link to ${user.email}: open it, then log in.`,
        resendToken: await confirmations.resendToken(user),
        next: askedNext(body.next),
      });
    }
    return startSession(request, reply, user, next);
  });

  // ?next= as on log-in: a site owner connecting a site (GET /connect) signs up and comes back.
  app.get<{ Querystring: Form }>('/signup', { schema: schemas.loginPage }, async (request, reply) => {
    if (!signupOpen) reply.code(403);
    return render.page(request, reply, 'signup', { signupOpen, timezones: TIMEZONES, timezone: 'UTC', next: safeNext(request.query.next) });
  });

  app.post<{ Body: Form }>('/signup', { schema: schemas.signup, preHandler: csrf, config: perIp }, async (request, reply) => {
    if (!signupOpen) {
      reply.code(403);
      return render.page(request, reply, 'signup', { signupOpen });
    }
    const body = request.body ?? {};
    try {
      const user = await users.createUser({
        email: body.email ?? '',
        password: body.password ?? '',
        name: body.name,
        timezone: body.timezone || 'UTC',
        requireConfirmation: verify,
        next: askedNext(body.next),
      });
      if (verify) {
        return render.page(request, reply, 'signup-confirm', {
          title: 'Check your inbox',
          message: `We sent a link to ${user.email}. Open it to confirm your address, then log in. The link works for a week.`,
          next: askedNext(body.next),
        });
      }
      return await startSession(request, reply, user, safeNext(body.next));
    } catch (error) {
      if (!(error instanceof AppError) || error.statusCode >= 500) throw error;
      // A taken email is not confirmed as registered: the same 400 and words as any address that
      // cannot be used (the password was hashed either way, so the timing matches too).
      const taken = error instanceof ConflictError;
      reply.code(taken ? 400 : error.statusCode);
      return render.page(request, reply, 'signup', {
        signupOpen,
        error: taken ? SIGNUP_EMAIL_REFUSED : error.message,
        email: body.email,
        name: body.name,
        timezone: body.timezone,
        timezones: TIMEZONES,
        next: safeNext(body.next),
      });
    }
  });

  // `next`: where the person was going when they signed up (the link carries it); the page's log-in
  // link leads there.
  const confirmPage = (request: FastifyRequest, reply: FastifyReply, outcome: ConfirmOutcome, next: string | undefined, token?: string) => {
    reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
    switch (outcome.kind) {
      case 'confirm':
        return render.page(request, reply, 'signup-confirm', { title: 'Confirm your email address', message: `Confirm ${outcome.email} as the address of your AgentDesk account.`, confirmToken: token, next });
      case 'confirmed':
        return render.page(request, reply, 'signup-confirm', { title: 'Email address confirmed', message: `${outcome.email} is confirmed: you can log in now.`, next });
      case 'expired':
        reply.code(410);
        return render.page(request, reply, 'signup-confirm', { title: 'Link expired', error: 'This link has expired. Log in with your email and password to get a new one.' });
      default:
        reply.code(400);
        return render.page(request, reply, 'signup-confirm', { title: 'Invalid link', error: 'This link is not valid. Please use the link exactly as it appears in the email.' });
    }
  };

  // GET only shows a button (mail scanners prefetch links); POST confirms.
  app.get<{ Querystring: Form }>('/signup/confirm', { schema: schemas.confirmPage }, async (request, reply) =>
    confirmPage(request, reply, await confirmations.inspect(request.query.t), askedNext(request.query.next), request.query.t),
  );

  app.post<{ Body: Form }>('/signup/confirm', { schema: schemas.token, preHandler: csrf, config: perIp }, async (request, reply) =>
    confirmPage(request, reply, await confirmations.confirm(request.body?.t), askedNext(request.body?.next)),
  );

  app.post<{ Body: Form }>('/signup/resend', { schema: schemas.token, preHandler: csrf, config: perIp }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const next = askedNext(request.body?.next);
    const outcome = await confirmations.resend(request.body?.t, next);
    switch (outcome.kind) {
      case 'sent':
        return render.page(request, reply, 'signup-confirm', { title: 'Check your inbox', message: `We sent a new link to ${outcome.email}. Open it to confirm your address, then log in.`, next });
      case 'too_soon': {
        const minutes = Math.ceil(outcome.retryAfterSeconds / 60);
        reply.code(429).header('Retry-After', String(outcome.retryAfterSeconds));
        return render.page(request, reply, 'signup-confirm', {
          title: 'Link already sent',
          error: `A link was sent to ${outcome.email} less than an hour ago: look for it in your inbox (and spam folder). A new one can be sent in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
        });
      }
      case 'confirmed':
        return render.page(request, reply, 'signup-confirm', { title: 'Email address confirmed', message: 'Your address is already confirmed: you can log in.' });
      case 'expired':
        reply.code(410);
        return render.page(request, reply, 'signup-confirm', { title: 'Page expired', error: 'This button has expired. Log in again to get a new one.' });
      default:
        reply.code(400);
        return render.page(request, reply, 'signup-confirm', { title: 'Invalid request', error: 'This request is not valid. Log in again to get a new link.' });
    }
  });

  app.post('/logout', { schema: schemas.logout, preHandler: csrf }, async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    if (token) await sessions.endSession(token);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/login', 303);
  });

  const viewer = requireViewer(sessions);
  const accountPage = async (request: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}) => {
    const user = request.viewer!;
    const current = request.account!;
    // Keys are for members and above (a viewer changes nothing); members see and revoke their own.
    const showKeys = mayDo(current.role, 'keys:read');
    const apiKeys = showKeys
      ? (await keys.list(current.id)).map((key) => ({
          id: key.id,
          prefix: key.key_prefix,
          name: key.name,
          role: key.role,
          createdBy: key.created_by,
          mayRevoke: key.user_id === user.id || atLeast(current.role, 'manager'),
          created: formatExact(key.created_at, user.timezone),
          lastUsed: key.last_used_at ? formatExact(key.last_used_at, user.timezone) : null,
        }))
      : [];
    const memberships = await team.accountsOf(user.id);
    // Leaving is offered where someone else stays; the last owner is told what to do first.
    const { members } = await team.members(current.id);
    const owners = members.filter((member) => member.role === 'owner').length;
    return render.page(request, reply, 'account', {
      account: { email: user.email, name: user.name, timezone: user.timezone, alertEmails: user.alert_emails },
      current: { ...current, notify: memberships.find((m) => m.account_id === current.id)?.notify ?? false },
      accounts: memberships.length > 1 ? memberships.map((m) => ({ id: m.account_id, name: m.account_name, role: m.role, current: m.account_id === current.id })) : [],
      keyRoles: ROLES.filter((role) => atLeast(current.role, role)),
      mayRename: mayDo(current.role, 'account:rename'),
      mayDelete: mayDo(current.role, 'account:delete'),
      leave: members.length > 1 ? { allowed: keepsAnOwner(owners, current.role, undefined) } : null,
      showKeys,
      timezones: TIMEZONES,
      apiKeys,
      digest: deps.digest ? await deps.digest.form(current.id) : null,
      ...extra,
    });
  };

  app.get<{ Querystring: Form }>('/account', { schema: schemas.accountPage, preHandler: viewer }, async (request, reply) =>
    accountPage(request, reply, {
      saved: request.query.saved === '1',
      passwordChanged: request.query.password === 'changed',
      keysRevoked: Number.parseInt(request.query.keys_revoked ?? '0', 10) || 0,
      keyRevoked: request.query.revoked === '1',
    }),
  );

  app.post<{ Body: Form }>('/account', { schema: schemas.account, preHandler: [viewer, csrf] }, async (request, reply) => {
    const body = request.body ?? {};
    try {
      await accounts.updateSettings(request.viewer!, { name: body.name ?? '', timezone: body.timezone, alertEmails: body.alert_emails === 'on' });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      reply.code(400);
      return accountPage(request, reply, { error: error.message });
    }
    return reply.redirect('/account?saved=1', 303);
  });

  app.post<{ Body: Form }>('/account/password', { schema: schemas.password, preHandler: [viewer, csrf], config: perIp }, async (request, reply) => {
    const body = request.body ?? {};
    const user = request.viewer!;
    const failures = failureKey(request, user.email);
    const wait = failedLogins.retryAfterSeconds(failures);
    if (wait > 0) {
      reply.code(429).header('Retry-After', String(wait));
      return accountPage(request, reply, { passwordError: `Too many wrong passwords for this account from your address. Try again in ${Math.ceil(wait / 60)} minutes.` });
    }
    try {
      if ((body.new_password ?? '') !== (body.confirm_password ?? '')) throw new ValidationError('the two new passwords differ');
      await accounts.changePassword(user, body.current_password ?? '', body.new_password ?? '');
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      if (error instanceof WrongPasswordError) failedLogins.fail(failures);
      reply.code(400);
      return accountPage(request, reply, { passwordError: error.message });
    }
    failedLogins.reset(failures);
    // The old password may be known, and so may a session id issued under it: every session ends,
    // and this browser continues under a new id (session fixation and stolen cookies alike).
    const token = await sessions.rotateAllSessions(user, request.headers['user-agent'], request.account!.id);
    reply.setCookie(SESSION_COOKIE, token, sessionCookieOptions(request, config));
    // Keys issued under the old password go too.
    const revoked = await keys.revokeAll(user.id);
    return reply.redirect(`/account?password=changed${revoked ? `&keys_revoked=${revoked}` : ''}`, 303);
  });

  app.post<{ Body: Form }>('/account/api-keys', { schema: schemas.newKey, preHandler: [viewer, csrf] }, async (request, reply) => {
    const body = request.body ?? {};
    const issued = await keys.issue(request.viewer!.id, request.account!, { name: body.name, role: body.role || undefined });
    reply.code(201);
    return accountPage(request, reply, { newKey: issued.key, newKeyRole: issued.role });
  });

  app.post<{ Params: { id: string } }>('/account/api-keys/:id/revoke', { schema: schemas.action, preHandler: [viewer, csrf] }, async (request, reply) => {
    await keys.revoke(request.viewer!.id, request.account!, request.params.id);
    return reply.redirect('/account?revoked=1', 303);
  });

  // The account switcher: this browser's session now works in another account the person belongs to.
  app.post<{ Body: Form }>('/account/switch', { schema: schemas.switchAccount, preHandler: [viewer, csrf] }, async (request, reply) => {
    await sessions.switchAccount(request.cookies[SESSION_COOKIE]!, request.viewer!.id, request.body?.account_id ?? '');
    return reply.redirect('/bots', 303);
  });

  // This member's opt-in to the account's alert mail.
  app.post<{ Body: Form }>('/account/notify', { schema: schemas.notify, preHandler: [viewer, csrf] }, async (request, reply) => {
    await team.setNotify({ user: request.viewer!, account: request.account!, via: 'session' }, request.body?.notify === 'on');
    return reply.redirect('/account?saved=1', 303);
  });
}
