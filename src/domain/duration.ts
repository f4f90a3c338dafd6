// Human durations ("90s", "10m", "1h", "7d", "1h30m") used by STALE_AFTER, ALERT_REPEAT and friends.
// Pure: no I/O, so config, CLI and tests share one parser.

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

/** Parses "10m", "90s", "1h30m", "250ms"; returns milliseconds, or null if the text is not a duration. */
export function parseDuration(text: string): number | null {
  const input = text.trim();
  if (input === '') return null;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < input.length) {
    const start = PART.lastIndex;
    const match = PART.exec(input);
    if (!match || match.index !== start) return null;
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
  }
  return Number.isFinite(total) ? Math.round(total) : null;
}

/** Formats milliseconds the way an owner reads them: "3 minutes", "2 hours 5 minutes", "4 days". */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const units: Array<[string, number]> = [
    ['day', 86_400],
    ['hour', 3_600],
    ['minute', 60],
    ['second', 1],
  ];
  const parts: string[] = [];
  let rest = seconds;
  for (const [name, size] of units) {
    const count = Math.floor(rest / size);
    if (count > 0) {
      parts.push(`${count} ${name}${count === 1 ? '' : 's'}`);
      rest -= count * size;
    }
    if (parts.length === 2) break;
  }
  return parts.length ? parts.join(' ') : '0 seconds';
}
