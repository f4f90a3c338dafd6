// Where mails go: an SMTP server through nodemailer (SMTP_URL), or, with zero setup, one .eml file
// per mail under DATA_DIR/outbox/ (nodemailer's streamTransport gives the raw RFC 822 message).
import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { MailMessage } from './compose-mail.ts';

export interface MailTransport {
  readonly description: string;
  /** Resolves once the message is accepted (by the SMTP server, or written to disk). */
  send(message: MailMessage): Promise<void>;
  close(): void;
}

export interface MailTransportOptions {
  /** SMTP_URL, or nodemailer SMTP options (tests: a loopback smtp-server with ignoreTLS). */
  smtp?: string | SMTPTransport.Options;
  /** Used when smtp is absent. */
  outboxDir: string;
}

const toNodemailer = (message: MailMessage) => ({
  from: message.from,
  to: message.to,
  subject: message.subject,
  text: message.text,
  html: message.html,
  messageId: message.messageId,
  headers: message.headers,
});

export function createMailTransport(options: MailTransportOptions): MailTransport {
  if (options.smtp) {
    const smtpOptions: SMTPTransport.Options =
      typeof options.smtp === 'string' ? { url: options.smtp } : options.smtp;
    const transporter = nodemailer.createTransport({
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
      ...smtpOptions,
    });
    const where = typeof options.smtp === 'string' ? new URL(options.smtp).host : `${smtpOptions.host}:${smtpOptions.port}`;
    return {
      description: `SMTP ${where}`,
      async send(message) {
        await transporter.sendMail(toNodemailer(message));
      },
      close: () => transporter.close(),
    };
  }
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    description: `.eml files in ${options.outboxDir}`,
    async send(message) {
      const info = await transporter.sendMail(toNodemailer(message));
      await fs.mkdir(options.outboxDir, { recursive: true });
      // Write then rename, so a reader never sees half a file and a resend replaces, not duplicates.
      const target = path.join(options.outboxDir, message.fileName);
      const temporary = `${target}.${process.pid}.tmp`;
      await fs.writeFile(temporary, info.message as Buffer);
      await fs.rename(temporary, target);
    },
    close: () => transporter.close(),
  };
}
