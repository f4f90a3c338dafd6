// Text that may reach the database or a log line. PostgreSQL refuses NUL in text outright, and
// other C0 controls in names, URLs and keys hide content from people reading them, so every input
// path refuses them with a 400 that names the field (once, one bad heartbeat failed others).
// The ranges are written once and give both the regular expressions (domain checks) and the
// JSON-schema patterns (route schemas, src/http/text-schemas.ts).

const SINGLE_LINE_CONTROLS = '\\u0000-\\u001F\\u007F';
const MULTILINE_CONTROLS = '\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F';
// Half of a UTF-16 surrogate pair on its own: JSON can spell one ("\ud800"), UTF-8 cannot hold
// it, and the database driver would store U+FFFD instead. Read with the `u` flag (as Ajv reads
// schema patterns), a regular expression sees a whole pair as one code point outside this range.
const SURROGATES = '\\uD800-\\uDFFF';

/** U+0000–U+001F and U+007F: the control characters no single-line field may hold. */
export const CONTROL_CHARACTERS = new RegExp(`[${SINGLE_LINE_CONTROLS}]`);

/** Multi-line text (descriptions, messages) may hold tabs and line breaks, but no other control. */
export const CONTROL_CHARACTERS_EXCEPT_LINE_BREAKS = new RegExp(`[${MULTILINE_CONTROLS}]`);

/** An unpaired surrogate (the `u` flag makes a well-formed pair one code point, never a match). */
export const LONE_SURROGATE = new RegExp(`[${SURROGATES}]`, 'u');

/** JSON-schema `pattern`s for the same rules: no control character and no lone surrogate. */
export const SINGLE_LINE_PATTERN = `^[^${SINGLE_LINE_CONTROLS}${SURROGATES}]*$`;
export const MULTILINE_PATTERN = `^[^${MULTILINE_CONTROLS}${SURROGATES}]*$`;

/** What follows a field's name when it holds a lone surrogate. */
export const NOT_UNICODE = 'must be valid Unicode text (it holds an unpaired surrogate)';

export function hasControlCharacters(value: string, { multiline = false } = {}): boolean {
  return (multiline ? CONTROL_CHARACTERS_EXCEPT_LINE_BREAKS : CONTROL_CHARACTERS).test(value);
}

export function hasLoneSurrogates(value: string): boolean {
  return LONE_SURROGATE.test(value);
}

/**
 * What is wrong with a text field, as the words after its name, or undefined when nothing is:
 * the one text rule the domain checks (heartbeats, the bots API, channels, the CLI) share.
 */
export function textFault(value: string, { multiline = false } = {}): string | undefined {
  if (hasLoneSurrogates(value)) return NOT_UNICODE;
  if (hasControlCharacters(value, { multiline })) return multiline ? 'must not contain control characters (tabs and line breaks are allowed)' : 'must not contain control characters';
  return undefined;
}
