// What the plugin's updater asks: GET /api/wordpress/plugin/info (the latest release, read from the
// plugin's own header and readme) and GET /api/wordpress/plugin/download (its zip).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sendError } from '../http/error-handler.ts';
import type { PluginPackage } from './plugin-release.ts';

export const PLUGIN_INFO_PATH = '/api/wordpress/plugin/info';
export const PLUGIN_DOWNLOAD_PATH = '/api/wordpress/plugin/download';

export interface PluginRouteDeps {
  plugin: PluginPackage;
}

/** The download URL as the caller reached this service (honours X-Forwarded-* under TRUST_PROXY). */
function downloadUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}${PLUGIN_DOWNLOAD_PATH}`;
}

export async function pluginRoutes(app: FastifyInstance, { plugin }: PluginRouteDeps) {
  const unavailable = (request: FastifyRequest, error: unknown) => {
    request.log.error({ err: error, dir: plugin.dir }, 'plugin package unreadable');
    return 'The WordPress plugin package is not available on this server';
  };

  app.get(PLUGIN_INFO_PATH, async (request, reply) => {
    let release;
    try {
      release = plugin.release();
    } catch (error) {
      return sendError(reply, 503, unavailable(request, error));
    }
    reply.header('Cache-Control', 'public, max-age=300');
    return { ...release, download_url: downloadUrl(request) };
  });

  app.get(PLUGIN_DOWNLOAD_PATH, async (request, reply) => {
    let zip;
    try {
      zip = plugin.zip();
    } catch (error) {
      return sendError(reply, 503, unavailable(request, error));
    }
    reply.header('ETag', zip.etag).header('Cache-Control', 'public, max-age=300');
    if (request.headers['if-none-match'] === zip.etag) return reply.code(304).send();
    return reply
      .type('application/zip')
      .header('Content-Disposition', `attachment; filename="${zip.filename}"`)
      .send(Buffer.from(zip.bytes.buffer, zip.bytes.byteOffset, zip.bytes.byteLength));
  });
}
