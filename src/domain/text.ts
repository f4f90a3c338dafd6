// Text that may reach the database or a log line. PostgreSQL refuses NUL in text outright, and
// other C0 controls in names, URLs and keys hide content from people reading them, so every input
// path refuses them with a 400 that names the field (once, one bad heartbeat failed others).
// The ranges are written once and give both the regular expressions (domain checks) and the
// JSON-schema patterns (route schemas, src/http/text-schemas.ts).

const SINGLE_LINE_CONTROLS = '\\u0000-\\u001F\\u007F';
const MULTILINE_CONTROLS = '\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F';

/** U+0000–U+001F and U+007F: the control characters no single-line field may hold. */
export const CONTROL_CHARACTERS = new RegExp(`[${SINGLE_LINE_CONTROLS}]`);

/** Multi-line text (descriptions, messages) may hold tabs and line breaks, but no other control. */
export const CONTROL_CHARACTERS_EXCEPT_LINE_BREAKS = new RegExp(`[${MULTILINE_CONTROLS}]`);

/** JSON-schema `pattern`s for the same two rules. */
export const SINGLE_LINE_PATTERN = `^[^${SINGLE_LINE_CONTROLS}]*$`;
export const MULTILINE_PATTERN = `^[^${MULTILINE_CONTROLS}]*$`;

export function hasControlCharacters(value: string, { multiline = false } = {}): boolean {
  return (multiline ? CONTROL_CHARACTERS_EXCEPT_LINE_BREAKS : CONTROL_CHARACTERS).test(value);
}
