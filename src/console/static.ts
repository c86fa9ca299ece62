/**
 * The web UI: plain ES modules from src/console/ui and vendored files from node_modules (Preact,
 * its hooks and htm in one module from the htm package; uPlot for charts), all served by this process. No build step and no CDN: the
 * console works offline, and the strict CSP (script-src 'self') holds because nothing is inline.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export const UI_DIR = path.resolve(import.meta.dirname, 'ui');

const require = createRequire(import.meta.url);
/** htm/preact/standalone.mjs: Preact 10 + hooks + htm in one ES module (no bare imports to map). */
const VENDOR_FILE = path.join(path.dirname(require.resolve('htm')), '..', 'preact', 'standalone.mjs');
/** uPlot, the managers' charts: one ES module without imports, and its stylesheet. */
const UPLOT_DIR = path.dirname(require.resolve('uplot'));

export async function staticRoutes(app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, {
    root: UI_DIR,
    prefix: '/assets/',
    index: false,
    // A new deploy must reach browsers at once; files are small and served with ETags.
    cacheControl: false,
    setHeaders: (res) => res.setHeader('cache-control', 'no-cache'),
  });
  app.get('/', (_request, reply) => reply.header('cache-control', 'no-cache').sendFile('index.html', UI_DIR));
  app.get('/vendor/uplot.js', (_request, reply) =>
    reply.header('cache-control', 'public, max-age=86400').type('text/javascript; charset=utf-8').sendFile('uPlot.esm.js', UPLOT_DIR),
  );
  app.get('/vendor/uplot.css', (_request, reply) =>
    reply.header('cache-control', 'public, max-age=86400').type('text/css; charset=utf-8').sendFile('uPlot.min.css', UPLOT_DIR),
  );
  app.get('/vendor/preact-htm.js', (_request, reply) =>
    reply
      .header('cache-control', 'public, max-age=86400')
      .type('text/javascript; charset=utf-8')
      .sendFile(path.basename(VENDOR_FILE), path.dirname(VENDOR_FILE)),
  );
}
