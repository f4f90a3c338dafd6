// Mail templates by naming convention: views/emails/<name>.subject.hbs, .text.hbs, .html.hbs.
// Subject and text are plain text (no HTML escaping); the HTML part escapes every {{value}}.
// A subject is fixed text (counts at most): what an owner typed (a site or channel name, a URL, a
// reason) goes in the body only, since mails also reach contacts who never agreed to read it
// (docs/alerts.md, "What a mail says").
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

export const EMAIL_TEMPLATES_DIR = fileURLToPath(new URL('../../views/emails/', import.meta.url));
export const EMAIL_NAMES = ['stale-digest', 'recovery', 'reminder', 'incident', 'maintenance-ending', 'channel-test', 'contact-verification', 'signup-confirmation', 'attention-digest', 'uptime-report', 'account-invitation'] as const;
export type EmailName = (typeof EMAIL_NAMES)[number];

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

type Template = (data: unknown) => string;

export function loadEmailTemplates(dir = EMAIL_TEMPLATES_DIR) {
  const hbs = Handlebars.create();
  const compile = (name: string, part: 'subject' | 'text' | 'html'): Template =>
    hbs.compile(fs.readFileSync(path.join(dir, `${name}.${part}.hbs`), 'utf8'), { noEscape: part !== 'html' });
  const templates = new Map(
    EMAIL_NAMES.map((name) => [name, { subject: compile(name, 'subject'), text: compile(name, 'text'), html: compile(name, 'html') }] as const),
  );
  return {
    render(name: EmailName, data: unknown): RenderedEmail {
      const t = templates.get(name)!;
      return {
        // A subject is one header line whatever a site name contains.
        subject: t.subject(data).replace(/\s+/g, ' ').trim(),
        text: t.text(data),
        html: t.html(data),
      };
    },
  };
}

export type EmailTemplates = ReturnType<typeof loadEmailTemplates>;
