// The bot page's "last 7 days" chart: one bar per hour, drawn as server-side SVG (no script).
// The SVG holds only numbers and labels made here, escaped anyway, so it can be output unescaped.

export const CHART_HOURS = 7 * 24;
const BAR = 4;
const HEIGHT = 60;
const LABEL = 14;

const escapeXml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The start of the chart: the hour CHART_HOURS - 1 hours before the current one. */
export function chartStart(now: Date): Date {
  const hour = Math.floor(now.getTime() / 3_600_000) * 3_600_000;
  return new Date(hour - (CHART_HOURS - 1) * 3_600_000);
}

export function renderHeartbeatChart(hours: Array<{ hour: Date; count: number }>, now: Date, timeZone: string): string {
  const start = chartStart(now).getTime();
  const counts = new Array<number>(CHART_HOURS).fill(0);
  for (const { hour, count } of hours) {
    const index = Math.round((hour.getTime() - start) / 3_600_000);
    if (index >= 0 && index < CHART_HOURS) counts[index] = count;
  }
  const max = Math.max(12, ...counts);
  const total = counts.reduce((sum, count) => sum + count, 0);
  const dayLabel = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', timeZone: safeZone(timeZone) });
  const hourOf = new Intl.DateTimeFormat('en-GB', { hour: 'numeric', hourCycle: 'h23', timeZone: safeZone(timeZone) });
  const when = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: safeZone(timeZone) });

  const parts: string[] = [];
  counts.forEach((count, index) => {
    const at = new Date(start + index * 3_600_000);
    const x = index * BAR;
    if (Number(hourOf.format(at)) === 0) {
      parts.push(`<line x1="${x}" y1="0" x2="${x}" y2="${HEIGHT}" class="chart-day"/>`);
      parts.push(`<text x="${x + 2}" y="${HEIGHT + LABEL - 3}" class="chart-label">${escapeXml(dayLabel.format(at))}</text>`);
    }
    if (count > 0) {
      const height = Math.max(2, Math.round((count / max) * HEIGHT));
      parts.push(
        `<rect x="${x}" y="${HEIGHT - height}" width="${BAR - 1}" height="${height}" class="chart-bar"><title>${escapeXml(when.format(at))}: ${count} heartbeat${count === 1 ? '' : 's'}</title></rect>`,
      );
    }
  });
  const width = CHART_HOURS * BAR;
  return (
    `<svg class="heartbeat-chart" role="img" viewBox="0 0 ${width} ${HEIGHT + LABEL}" width="${width}" height="${HEIGHT + LABEL}" ` +
    `aria-label="Heartbeats per hour over the last 7 days: ${total} in total">` +
    `<line x1="0" y1="${HEIGHT}" x2="${width}" y2="${HEIGHT}" class="chart-axis"/>${parts.join('')}</svg>`
  );
}

function safeZone(timeZone: string): string {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone });
    return timeZone;
  } catch {
    return 'UTC';
  }
}
