// The handlebars instance of the dashboard. `{{…}}` escapes everything; the only triple-stashes
// are the heartbeat chart, whose SVG is built from numbers and fixed text (heartbeat-chart.ts), and
// the operator's own legal text (TERMS_FILE / PRIVACY_FILE, legal-pages.ts), which they own.
import Handlebars from 'handlebars';

export function createHandlebars(): typeof Handlebars {
  const hbs = Handlebars.create();
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hbs.registerHelper('json', (value: unknown) => JSON.stringify(value));
  hbs.registerHelper('urlencode', (value: unknown) => encodeURIComponent(typeof value === 'string' ? value : ''));
  return hbs;
}
