// The link of an invitation mail (src/accounts/team-service.ts says the flow): checks the signed
// token (src/mail/signed-links.ts, action accept_invitation, a week), then lets the team service
// decide. GET shows a "Join" button, POST joins: mail scanners prefetch links. Never imports fastify.
import type { AcceptOutcome, TeamService } from '../accounts/team-service.ts';
import type { UserRow } from '../db/users.ts';
import { verifyLink } from '../mail/signed-links.ts';

export interface InvitationLinkDeps {
  team: TeamService;
  /** The signing secret; read when first needed. */
  secret: () => Promise<string>;
  now: () => Date;
}

export function createInvitationLinks({ team, secret, now }: InvitationLinkDeps) {
  const claims = async (token: unknown): Promise<AcceptOutcome | { userId: string; invitationId?: string }> => {
    const verified = verifyLink(await secret(), token, now());
    if (!verified.ok) return { kind: verified.reason === 'expired' ? 'expired' : 'invalid' };
    if (verified.claims.action !== 'accept_invitation') return { kind: 'invalid' };
    return verified.claims;
  };
  return {
    async inspect(token: unknown, person: Pick<UserRow, 'email'>): Promise<AcceptOutcome> {
      const checked = await claims(token);
      return 'kind' in checked ? checked : team.inspect(checked, person);
    },
    async accept(token: unknown, person: Pick<UserRow, 'id' | 'email'>): Promise<AcceptOutcome> {
      const checked = await claims(token);
      return 'kind' in checked ? checked : team.accept(checked, person);
    },
  };
}

export type InvitationLinks = ReturnType<typeof createInvitationLinks>;
