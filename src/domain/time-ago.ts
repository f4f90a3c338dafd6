// How the dashboard says when something happened: "3 minutes ago" for reading, and the exact
// time in the owner's time zone for the hover title. Pure: `now` and the zone are passed in.

const UNITS: Array<[string, number]> = [
  ['year', 365 * 86_400],
  ['month', 30 * 86_400],
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
];

/** "just now", "1 minute ago", "3 hours ago", "in 2 days" (a time in the future, e.g. a mute end). */
export function timeAgo(date: Date, now: Date): string {
  const seconds = Math.round((now.getTime() - date.getTime()) / 1000);
  const future = seconds < 0;
  const abs = Math.abs(seconds);
  if (abs < 45) return future ? 'in a few seconds' : 'just now';
  for (const [name, size] of UNITS) {
    if (abs >= size || name === 'minute') {
      const amount = Math.max(1, Math.floor(abs / size));
      const phrase = `${amount} ${name}${amount === 1 ? '' : 's'}`;
      return future ? `in ${phrase}` : `${phrase} ago`;
    }
  }
  return 'just now';
}

/** "25 Nov 2026, 19:32:05 CET" in the given IANA zone (UTC if the zone is unknown). */
export function formatExact(date: Date, timeZone: string): string {
  const options: Intl.DateTimeFormatOptions = {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  };
  try {
    return new Intl.DateTimeFormat('en-GB', { ...options, timeZone }).format(date);
  } catch {
    return new Intl.DateTimeFormat('en-GB', { ...options, timeZone: 'UTC' }).format(date);
  }
}
