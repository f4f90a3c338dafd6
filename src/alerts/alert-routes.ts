// The pages behind the links in owner mails and in a contact's confirmation mail. No login: the signed token is the credential.
// GET only shows a confirmation (mail scanners prefetch links); POST acts. The unsubscribe POST is
// also the RFC 8058 one-click target of the List-Unsubscribe-Post header.
import fs from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import Handlebars from 'handlebars';
import { limitRouteBodies } from '../http/body-limit.ts';
import { text } from '../http/text-schemas.ts';
import { formatInZone } from '../mail/compose-mail.ts';
import type { LinkOutcome, LinkService } from './link-service.ts';

export interface AlertRoutesOptions {
  links: LinkService;
  publicUrl: string;
}

const page = Handlebars.compile(fs.readFileSync(new URL('../../views/alerts/link-page.hbs', import.meta.url), 'utf8'));

/** The links' forms carry nothing the service reads: a small limit is enough. */
export const LINK_BODY_LIMIT = 4096;

const tokenQuery = {
  type: 'object',
  properties: { t: text({ maxLength: 1024 }) },
} as const;

export async function alertRoutes(app: FastifyInstance, options: AlertRoutesOptions) {
  const { links } = options;
  const dashboardUrl = `${options.publicUrl.replace(/\/+$/, '')}/bots`;

  // Forms and one-click clients post url-encoded or multipart bodies; the token is in the URL,
  // so the body only has to be accepted (unless another plugin already parses these types).
  limitRouteBodies(app, LINK_BODY_LIMIT);
  for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data']) {
    if (!app.hasContentTypeParser(type)) {
      app.addContentTypeParser(type, { parseAs: 'string' }, (_request, body, done) => done(null, body));
    }
  }

  const show = (reply: FastifyReply, outcome: LinkOutcome) => {
    const { status, title, message, button } = describe(outcome);
    return reply
      .code(status)
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .type('text/html; charset=utf-8')
      .send(page({ title, message, button, dashboardUrl }));
  };

  type TokenRequest = { Querystring: { t?: string } };
  app.get<TokenRequest>('/alerts/mute', { schema: { querystring: tokenQuery } }, async (request, reply) =>
    show(reply, await links.inspect(request.query.t, 'mute')),
  );
  app.post<TokenRequest>('/alerts/mute', { schema: { querystring: tokenQuery } }, async (request, reply) =>
    show(reply, await links.mute(request.query.t)),
  );
  app.get<TokenRequest>('/alerts/confirm-contact', { schema: { querystring: tokenQuery } }, async (request, reply) =>
    show(reply, await links.inspect(request.query.t, 'verify_contact')),
  );
  app.post<TokenRequest>('/alerts/confirm-contact', { schema: { querystring: tokenQuery } }, async (request, reply) =>
    show(reply, await links.verifyContact(request.query.t)),
  );
  app.get<TokenRequest>('/alerts/attention-off', { schema: { querystring: tokenQuery } }, async (request, reply) =>
    show(reply, await links.inspect(request.query.t, 'attention_off')),
  );
  app.post<TokenRequest>('/alerts/attention-off', { schema: { querystring: tokenQuery } }, async (request, reply) =>
    show(reply, await links.attentionOff(request.query.t)),
  );
  app.get<TokenRequest>('/alerts/unsubscribe', { schema: { querystring: tokenQuery } }, async (request, reply) =>
    show(reply, await links.inspect(request.query.t, 'unsubscribe')),
  );
  app.post<TokenRequest>('/alerts/unsubscribe', { schema: { querystring: tokenQuery } }, async (request, reply) =>
    show(reply, await links.unsubscribe(request.query.t)),
  );
}

interface PageText {
  status: number;
  title: string;
  message: string;
  button?: string;
}

function describe(outcome: LinkOutcome): PageText {
  switch (outcome.kind) {
    case 'invalid':
      return { status: 400, title: 'Invalid link', message: 'This link is not valid. Please use the link exactly as it appears in the email.' };
    case 'expired':
      return { status: 410, title: 'Link expired', message: 'This link has expired. Newer alert emails contain fresh links, or use the dashboard.' };
    case 'used':
      return { status: 410, title: 'Link already used', message: 'This mute link has already been used: each one works once. The dashboard shows the current mute.' };
    case 'not_found':
      return { status: 404, title: 'Not found', message: 'The site, account or contact this link refers to no longer exists (or the contact now has another address).' };
    case 'muted':
      return { status: 200, title: 'Site muted', message: `Alerts for "${outcome.botName}" are muted until ${formatInZone(outcome.until, 'UTC')}.` };
    case 'unsubscribed':
      return { status: 200, title: 'Unsubscribed', message: 'You will no longer receive connection alert emails. You can turn them back on in the dashboard.' };
    case 'attention_off':
      return {
        status: 200,
        title: 'Done',
        message: `Your weekly digest will no longer mention "${outcome.label}". You can turn it back on in your account settings.`,
      };
    case 'contact_verified':
      return {
        status: 200,
        title: 'Address confirmed',
        message: `${outcome.address} will now receive the connection alerts it was added for. To stop them, ask the person who added it to remove it.`,
      };
    case 'confirm':
      if (outcome.action === 'verify_contact') {
        const who = outcome.ownerEmail ? `The AgentDesk user ${outcome.ownerEmail}` : 'An AgentDesk user';
        return {
          status: 200,
          title: 'Receive AgentDesk alerts at this address?',
          message: `${who} added ${outcome.address} as a contact for connection alerts about their WordPress sites. Confirm to receive them. If you did not expect this, close this page: nothing more is sent.`,
          button: 'Confirm this address',
        };
      }
      if (outcome.action === 'attention_off') {
        return {
          status: 200,
          title: 'Stop hearing about this?',
          message: `Stop mentioning "${outcome.label}" in your weekly "needs attention" digest, for all your sites.`,
          button: 'Stop mentioning it',
        };
      }
      return outcome.action === 'mute'
        ? { status: 200, title: 'Mute this site?', message: `Stop alert emails about "${outcome.botName}" for the next 24 hours.`, button: 'Mute for 24 hours' }
        : { status: 200, title: 'Stop alert emails?', message: 'Stop all connection alert emails for your account.', button: 'Unsubscribe' };
  }
}
