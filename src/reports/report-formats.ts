// The uptime report as JSON (the API's answer), CSV (one row per site, then the totals) and a
// self-contained HTML page (the CLI's --format html, fit to attach or print).
import Handlebars from 'handlebars';
import { secondsInWords, uptimeInWords, type Incident, type UptimeFigures } from '../domain/uptime.ts';
import { DIAGNOSIS_WORDS } from '../domain/public-status.ts';
import type { UptimeReport } from './uptime-reports.ts';

export const REPORT_FORMATS = ['json', 'csv', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

const incidentJson = (incident: Incident) => ({
  start: incident.start.toISOString(),
  end: incident.end?.toISOString() ?? null,
  downtime_seconds: incident.downtime_seconds,
  diagnosis: incident.diagnosis,
  detail: incident.detail,
});
const figuresJson = (figures: UptimeFigures) => ({ ...figures, incidents: figures.incidents.map(incidentJson) });

export function reportJson(report: UptimeReport) {
  return {
    month: report.month,
    time_zone: report.time_zone,
    period: { start: report.period.start.toISOString(), end: report.period.end.toISOString() },
    partial: report.partial,
    sites: report.sites.map((site) => ({ ...site, figures: figuresJson(site.figures) })),
    totals: figuresJson(report.totals),
  };
}

const CSV_COLUMNS = ['site', 'site_url', 'uptime_percent', 'up_seconds', 'downtime_seconds', 'maintenance_seconds', 'unknown_seconds', 'unmonitored_seconds', 'incidents', 'longest_outage_seconds', 'mttr_seconds'];

/** A CSV field, quoted when it must be, and never read as a formula by a spreadsheet. */
function csvField(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function reportCsv(report: UptimeReport): string {
  const row = (name: string, url: string | null, f: UptimeFigures) =>
    [name, url, f.uptime_percent, f.up_seconds, f.downtime_seconds, f.maintenance_seconds, f.unknown_seconds, f.unmonitored_seconds, f.incidents.length, f.longest_outage_seconds, f.mttr_seconds]
      .map(csvField)
      .join(',');
  const lines = [CSV_COLUMNS.join(','), ...report.sites.map((site) => row(site.name, site.site_url, site.figures)), row('All sites', null, report.totals)];
  return `${lines.join('\r\n')}\r\n`;
}


const page = Handlebars.compile(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Uptime {{month}}</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}</style></head>
<body><h1>Uptime report for {{month}}</h1>
<p>Times in {{time_zone}}.{{#if partial}} The month is not over: figures up to now.{{/if}} Maintenance and our own outages are left out of the percentage.</p>
<table><thead><tr><th>Site</th><th>Uptime</th><th>Down</th><th>Maintenance</th><th>Unknown (our outage)</th><th>Incidents</th><th>Longest outage</th><th>MTTR</th></tr></thead><tbody>
{{#each rows}}<tr><td>{{name}}</td><td>{{uptime}}</td><td>{{down}}</td><td>{{maintenance}}</td><td>{{unknown}}</td><td>{{incidents}}</td><td>{{longest}}</td><td>{{mttr}}</td></tr>
{{/each}}</tbody></table>
{{#if incidents}}<h2>Incidents</h2><ul>{{#each incidents}}<li>{{site}}: {{start}} – {{end}}, down {{down}}: {{diagnosis}}</li>{{/each}}</ul>{{/if}}
</body></html>
`);

export function reportHtml(report: UptimeReport): string {
  const row = (name: string, f: UptimeFigures) => {
    const words = uptimeInWords(f);
    return { name, ...words, uptime: words.uptime ?? '—', mttr: words.mttr ?? '—' };
  };
  return page({
    month: report.month,
    time_zone: report.time_zone,
    partial: report.partial,
    rows: [...report.sites.map((site) => row(site.name, site.figures)), row('All sites', report.totals)],
    incidents: report.sites.flatMap((site) =>
      site.figures.incidents.map((incident) => ({
        site: site.name,
        start: incident.start.toISOString(),
        end: incident.end?.toISOString() ?? 'still down',
        down: secondsInWords(incident.downtime_seconds),
        diagnosis: incident.diagnosis ? DIAGNOSIS_WORDS[incident.diagnosis] : 'not diagnosed',
      })),
    ),
  });
}

export function formatReport(report: UptimeReport, format: ReportFormat): string {
  if (format === 'csv') return reportCsv(report);
  if (format === 'html') return reportHtml(report);
  return JSON.stringify(reportJson(report));
}
