// What the plugin's updater asks: GET /api/wordpress/plugin/info (the latest release, read from the
// plugin's own header and readme) and GET /api/wordpress/plugin/download (the direct build's zip).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sendError } from '../http/error-handler.ts';
import { errorAnswer } from '../http/schemas.ts';
import type { PluginPackage } from './plugin-release.ts';

export const PLUGIN_INFO_PATH = '/api/wordpress/plugin/info';
export const PLUGIN_DOWNLOAD_PATH = '/api/wordpress/plugin/download';

export interface PluginRouteDeps {
  plugin: PluginPackage;
  /** The service's configured address. Every absolute URL is built from it, never from the request's Host. */
  publicUrl: string;
}

const pluginUnavailable = errorAnswer('The plugin files on this server cannot be read (the server log says why)');

const infoSchema = {
  tags: ['plugin'],
  summary: "The latest plugin release, for the plugin's updater",
  response: {
    200: {
      description: 'The release the server ships, read from the plugin header and readme',
      type: 'object',
      additionalProperties: true,
      properties: {
        name: { type: 'string' },
        slug: { type: 'string' },
        version: { type: 'string' },
        requires: { type: 'string', description: 'Lowest WordPress version' },
        tested: { type: 'string', description: 'WordPress version tested up to' },
        requires_php: { type: 'string' },
        homepage: { type: 'string' },
        description: { type: 'string' },
        changelog: { type: 'string' },
        download_url: { type: 'string', format: 'uri', description: 'PUBLIC_URL + /api/wordpress/plugin/download, whatever Host the caller sent' },
        sha256: { type: 'string', description: 'Hex SHA-256 of the zip the download serves; the updater installs nothing else' },
        signature: { type: 'string', description: "Ed25519 signature (base64) of that zip under the service's plugin signing key, whose public key the plugin carries" },
      },
      required: ['name', 'slug', 'version', 'requires', 'tested', 'requires_php', 'download_url', 'sha256', 'signature'],
    },
    503: pluginUnavailable,
  },
} as const;

const downloadSchema = {
  tags: ['plugin'],
  summary: 'The direct build of the latest release as a zip (default API URL: this service)',
  response: {
    200: { description: 'The zip, with an ETag', content: { 'application/zip': { schema: { type: 'string', format: 'binary' } } } },
    304: { description: 'Not modified: If-None-Match named the current ETag', type: 'null' },
    503: pluginUnavailable,
  },
} as const;

export async function pluginRoutes(app: FastifyInstance, { plugin, publicUrl }: PluginRouteDeps) {
  // A URL from the request's Host or X-Forwarded-Host would let anyone who can reach the service
  // (or poison a shared cache, since the answer is public) point sites' updates at their own zip.
  const downloadUrl = `${publicUrl}${PLUGIN_DOWNLOAD_PATH}`;
  const unavailable = (request: FastifyRequest, error: unknown) => {
    request.log.error({ err: error, dir: plugin.dir }, 'plugin package unreadable');
    return 'The WordPress plugin package is not available on this server';
  };

  app.get(PLUGIN_INFO_PATH, { schema: infoSchema }, async (request, reply) => {
    let release;
    let zip;
    try {
      release = plugin.release();
      zip = await plugin.zip();
    } catch (error) {
      return sendError(reply, 503, unavailable(request, error));
    }
    reply.header('Cache-Control', 'public, max-age=300');
    // sha256 and signature: the updater refuses a downloaded package with any other digest, or not signed by our key.
    return { ...release, download_url: downloadUrl, sha256: zip.sha256, signature: zip.signature };
  });

  app.get(PLUGIN_DOWNLOAD_PATH, { schema: downloadSchema }, async (request, reply) => {
    let zip;
    try {
      zip = await plugin.zip();
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
