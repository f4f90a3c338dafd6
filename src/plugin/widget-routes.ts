// GET /widget.js: the chat launcher that the WordPress plugin (or any page) embeds with a public
// widget key. Read once at start; cached by browsers for an hour and revalidated by ETag.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

// Through src/ so that the compiled module (build/plugin/, see tsconfig.build.json) finds it too.
export const WIDGET_SCRIPT_FILE = new URL('../../src/plugin/widget.js', import.meta.url);

export async function widgetRoutes(app: FastifyInstance) {
  const source = readFileSync(WIDGET_SCRIPT_FILE, 'utf8');
  const etag = `"${createHash('sha256').update(source).digest('base64url').slice(0, 27)}"`;

  app.get('/widget.js', async (request, reply) => {
    reply
      .header('ETag', etag)
      .header('Cache-Control', 'public, max-age=3600')
      .header('Access-Control-Allow-Origin', '*')
      .header('Cross-Origin-Resource-Policy', 'cross-origin')
      .header('X-Content-Type-Options', 'nosniff');
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type('text/javascript; charset=utf-8').send(source);
  });
}
