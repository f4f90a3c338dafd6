// The account page's "Weekly needs-attention digest" form (docs/attention.md, "The weekly digest"):
// weekday, local hour and one checkbox per kind of attention item. Session and CSRF token in the
// form; saving redirects back to the account page. The JSON API is src/attention/digest-routes.ts.
import type { FastifyInstance } from 'fastify';
import type { SessionService } from '../accounts/session-service.ts';
import type { DigestSettingsService } from '../attention/digest-settings-service.ts';
import { ATTENTION_KINDS } from '../domain/attention.ts';
import { form, text } from '../http/text-schemas.ts';
import { requireViewer } from './session-hooks.ts';

const body = form({
  weekday: text({ maxLength: 2 }),
  hour: text({ maxLength: 2 }),
  ...Object.fromEntries(ATTENTION_KINDS.map((kind) => [`kind_${kind}`, text({ maxLength: 3 })])),
});

export async function digestPages(app: FastifyInstance, { digest, sessions }: { digest: DigestSettingsService; sessions: SessionService }) {
  app.post<{ Body: Record<string, string | undefined> }>(
    '/account/attention-digest',
    { schema: { hide: true, body }, preHandler: [requireViewer(sessions), app.csrfProtection] },
    async (request, reply) => {
      const input = request.body ?? {};
      // An unchecked box is absent from the form: that kind is off.
      const off = ATTENTION_KINDS.filter((kind) => input[`kind_${kind}`] !== 'on');
      await digest.update(request.account!.id, { weekday: input.weekday, hour: input.hour, off });
      return reply.redirect('/account?saved=1#attention-digest', 303);
    },
  );
}
