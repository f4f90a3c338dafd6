// HTML error pages for the dashboard. The JSON API (/api/…, /docs/…) and any client that does not
// ask for HTML keep the JSON error shape; browsers get a page, htmx requests a fragment.
import type { FastifyRequest } from 'fastify';
import type { HtmlErrorRenderer } from '../http/error-handler.ts';
import type { PageRenderer } from './session-hooks.ts';

const JSON_PREFIXES = ['/api/', '/docs/', '/metrics', '/healthz', '/readyz'];

const TITLES: Record<number, string> = {
  400: 'That did not work',
  401: 'Please log in',
  403: 'Not allowed',
  404: 'Page not found',
  413: 'Too large',
  429: 'Too many attempts',
  503: 'Temporarily unavailable',
};

export function wantsHtml(request: FastifyRequest): boolean {
  if (JSON_PREFIXES.some((prefix) => request.url.startsWith(prefix))) return false;
  return Boolean(request.headers['hx-request']) || (request.headers.accept ?? '').includes('text/html');
}

/** True for an htmx request that swaps a part of the page (not a boosted whole-page load). */
export function isPartialHtmx(request: FastifyRequest): boolean {
  return Boolean(request.headers['hx-request']) && request.headers['hx-request-type'] !== 'full' && !request.headers['hx-boosted'];
}

export function createHtmlErrorRenderer(render: PageRenderer): HtmlErrorRenderer {
  return (request, reply, statusCode, message) => {
    if (!wantsHtml(request) || typeof reply.view !== 'function') return undefined;
    const data = {
      statusCode,
      backUrl: formPageOf(request, statusCode),
      title: TITLES[statusCode] ?? (statusCode >= 500 ? 'Something went wrong' : 'Error'),
      // 5xx messages are already generic (error-handler.ts); 4xx ones are written for the user.
      message: message === 'Invalid csrf token' || message === 'Missing csrf secret' ? 'This form has expired. Reload the page and try again.' : message,
    };
    reply.code(statusCode);
    return isPartialHtmx(request) ? render.fragment(reply, 'error', data) : render.page(request, reply, 'error', data);
  };
}

/**
 * For a form the service refused (4xx on a POST whose path also serves the form with GET, such as
 * /login or /bots/:id/edit): where the user goes back to fix it.
 */
function formPageOf(request: FastifyRequest, statusCode: number): string | undefined {
  const route = request.routeOptions.url;
  if (request.method !== 'POST' || statusCode >= 500 || !route || !request.server.hasRoute({ method: 'GET', url: route })) return undefined;
  const path = request.url.split('?')[0]!;
  // Only a local path goes into the link.
  return /^\/[\w\-/]*$/.test(path) ? path : undefined;
}
