// What the plugin's updater asks: GET /api/wordpress/plugin/info (the latest release, read from the
// plugin's own header and readme) and GET /api/wordpress/plugin/download (the direct build's zip).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sendError } from '../http/error-handler.ts';
import type { PluginPackage } from './plugin-release.ts';

export const PLUGIN_INFO_PATH = '/api/wordpress/plugin/info';
export const PLUGIN_DOWNLOAD_PATH = '/api/wordpress/plugin/download';

export interface PluginRouteDeps {
  plugin: PluginPackage;
  /** The service's configured address. Every absolute URL is built from it, never from the request's Host. */
  publicUrl: string;
}

export async function pluginRoutes(app: FastifyInstance, { plugin, publicUrl }: PluginRouteDeps) {
  // A URL from the request's Host or X-Forwarded-Host would let anyone who can reach the service
  // (or poison a shared cache, since the answer is public) point sites' updates at their own zip.
  const downloadUrl = `${publicUrl}${PLUGIN_DOWNLOAD_PATH}`;
  const unavailable = (request: FastifyRequest, error: unknown) => {
    request.log.error({ err: error, dir: plugin.dir }, 'plugin package unreadable');
    return 'The WordPress plugin package is not available on this server';
  };

  app.get(PLUGIN_INFO_PATH, async (request, reply) => {
    let release;
    let zip;
    try {
      release = plugin.release();
      zip = plugin.zip();
    } catch (error) {
      return sendError(reply, 503, unavailable(request, error));
    }
    reply.header('Cache-Control', 'public, max-age=300');
    // sha256: the updater refuses a downloaded package with any other digest.
    return { ...release, download_url: downloadUrl, sha256: zip.sha256 };
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
