// Secrets kept out of messages and logs.

/** Hides a password inside a connection URL before it reaches a message or a log. */
export function redact(raw: string): string {
  return raw.replace(/\/\/([^:/@]+):([^@]*)@/, '//$1:***@');
}
