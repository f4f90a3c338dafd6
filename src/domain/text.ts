// Text that may reach the database or a log line. PostgreSQL refuses NUL in text outright, and
// other C0 controls in names, URLs and keys hide content from people reading them, so every input
// path refuses them with a 400 that names the field (issue: one bad heartbeat failing others).

/** U+0000–U+001F and U+007F: the control characters no single-line field may hold. */
export const CONTROL_CHARACTERS = /[\u0000-\u001F\u007F]/;

/** Multi-line text (descriptions, messages) may hold tabs and line breaks, but no other control. */
export const CONTROL_CHARACTERS_EXCEPT_LINE_BREAKS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

export function hasControlCharacters(value: string, { multiline = false } = {}): boolean {
  return (multiline ? CONTROL_CHARACTERS_EXCEPT_LINE_BREAKS : CONTROL_CHARACTERS).test(value);
}
