// What the plugin's updater asks: GET /api/wordpress/plugin/info (the latest release, read from the
// plugin's own header and readme) and GET /api/wordpress/plugin/download (its zip).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sendError } from '../http/error-handler.ts';
import { errorAnswer } from '../http/schemas.ts';
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
        download_url: { type: 'string', format: 'uri' },
      },
      required: ['name', 'slug', 'version', 'requires', 'tested', 'requires_php', 'download_url'],
    },
    503: pluginUnavailable,
  },
} as const;

const downloadSchema = {
  tags: ['plugin'],
  summary: 'The plugin zip of the latest release',
  response: {
    200: { description: 'The zip, with an ETag', content: { 'application/zip': { schema: { type: 'string', format: 'binary' } } } },
    304: { description: 'Not modified: If-None-Match named the current ETag', type: 'null' },
    503: pluginUnavailable,
  },
} as const;

export async function pluginRoutes(app: FastifyInstance, { plugin }: PluginRouteDeps) {
  const unavailable = (request: FastifyRequest, error: unknown) => {
    request.log.error({ err: error, dir: plugin.dir }, 'plugin package unreadable');
    return 'The WordPress plugin package is not available on this server';
  };

  app.get(PLUGIN_INFO_PATH, { schema: infoSchema }, async (request, reply) => {
    let release;
    try {
      release = plugin.release();
    } catch (error) {
      return sendError(reply, 503, unavailable(request, error));
    }
    reply.header('Cache-Control', 'public, max-age=300');
    return { ...release, download_url: downloadUrl(request) };
  });

  app.get(PLUGIN_DOWNLOAD_PATH, { schema: downloadSchema }, async (request, reply) => {
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
