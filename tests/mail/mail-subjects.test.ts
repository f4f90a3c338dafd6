// No owner-written text in a Subject header (docs/alerts.md, "What a mail says"): every kind of
// mail, for one site and for several, with every diagnosis, is composed with owner text in every
// field it carries (site and channel names, site URL, maintenance reason, the owner's name), and
// its subject must hold none of it; the body still names the site.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { composeMail, type ComposeDeps } from '../../src/mail/compose-mail.ts';
import { loadEmailTemplates } from '../../src/mail/email-templates.ts';
import type { OutboxKind, OutboxRow } from '../../src/db/outbox.ts';
import type { RecipientRow } from '../../src/db/users.ts';
import { DIAGNOSES } from '../../src/domain/probe-diagnosis.ts';

const test = suite('mail subjects are fixed text');

const SPAM = 'Buy cheap stuff at http://spam.example';
const deps: ComposeDeps = {
  templates: loadEmailTemplates(),
  secret: 'x'.repeat(40),
  publicUrl: 'https://desk.example.test',
  mailFrom: 'AgentDesk <alerts@desk.example.test>',
  staleAfterMs: 600_000,
  alertRepeatMs: 86_400_000,
};
const owner: RecipientRow = { id: '00000000-0000-4000-8000-000000000001', email: 'owner@example.test', name: SPAM, timezone: 'UTC', alert_emails: true };
const now = new Date('2026-01-05T12:00:00Z');

const site = (n: number, diagnosis: string) => ({
  id: `00000000-0000-4000-8000-00000000010${n}`,
  name: `${SPAM} ${n}`,
  site_url: `https://spam.example/${n}`,
  plugin_version: '1.1.0',
  last_seen_at: '2026-01-05T10:00:00Z',
  recovered_at: '2026-01-05T11:00:00Z',
  reminder: 1,
  diagnosis,
  diagnosis_detail: SPAM,
  maintenance_until: '2026-01-06T10:00:00Z',
  maintenance_reason: SPAM,
});

const row = (kind: OutboxKind, payload: Record<string, unknown>): OutboxRow => ({
  id: 1,
  dedupe_key: 'k',
  kind,
  user_id: owner.id,
  to_address: null,
  payload,
  status: 'sending',
  attempts: 1,
  created_at: now,
  channel_id: '00000000-0000-4000-8000-000000000201',
  delivery_id: '00000000-0000-4000-8000-000000000301',
});

test('no kind of mail puts a site name, URL, reason, channel name or owner name in its subject', () => {
  const kinds: OutboxKind[] = ['stale', 'recovery', 'reminder', 'maintenance_ending', 'test', 'contact_verification'];
  let composed = 0;
  for (const kind of kinds) {
    for (const diagnosis of DIAGNOSES) {
      for (const count of [1, 3]) {
        const sites = Array.from({ length: count }, (_, i) => site(i + 1, diagnosis));
        const mail = composeMail(deps, row(kind, { sites, channel_name: SPAM, contact: true, address: 'contact@example.com' }), owner, now);
        composed++;
        // nothing the owner typed, in any spelling
        assert.not.match(mail.subject, /cheap|spam\.example|Buy/i, `${kind} ${diagnosis} ${count}: ${mail.subject}`);
        // the body still says which site (or channel) it is about
        if (kind !== 'contact_verification') assert.ok(mail.text.includes(SPAM), `${kind}: body`);
      }
    }
  }
  assert.is(composed, kinds.length * DIAGNOSES.length * 2);
});

test('the weekly attention digest\'s subject holds counts only, never a site name or URL', () => {
  const item = (n: number, kind: string) => ({
    bot_id: site(n, 'not_probed').id,
    bot_name: `${SPAM} ${n}`,
    site_url: `https://spam.example/${n}`,
    kind,
    detail: SPAM,
    next_step: SPAM,
    since: '2026-01-01T00:00:00Z',
  });
  for (const [fresh, still] of [[1, 0], [0, 1], [2, 3], [0, 4]] as const) {
    const payload = {
      occurrence: '2026-01-05T09:00:00Z',
      plugin_release: '1.2.0',
      new_items: Array.from({ length: fresh }, (_, i) => item(i + 1, 'plugin_outdated')),
      still_items: Array.from({ length: still }, (_, i) => item(i + 5, 'cron_disabled')),
    };
    const mail = composeMail(deps, { ...row('attention', payload), channel_id: null }, owner, now);
    assert.not.match(mail.subject, /cheap|spam\.example|Buy/i, mail.subject);
    assert.ok(mail.text.includes(`${SPAM} ${fresh ? 1 : 5}`), 'the body names the sites');
    assert.match(mail.subject, fresh ? /need attention: \d+ new/ : /^Still needing attention on your sites: \d+ items?$/);
  }
});

test.run();
