/**
 * Helmet's security headers (CSP, HSTS, X-Content-Type-Options, …), built once. @fastify/helmet
 * builds its middleware anew on every request (parsing the CSP directives each time: ~2% of a queue
 * page's CPU), yet with one configuration and no CSP nonces the headers are the same for every
 * response. So helmet itself runs once, on a throw-away instance at start, and one hook sets what it
 * set, the same way (on the raw response, before the routes' own hooks: a route may still override).
 */
import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import Fastify, { type FastifyInstance } from 'fastify';

type Header = [name: string, value: string | number | string[]];

export async function securityHeaders(app: FastifyInstance, options: FastifyHelmetOptions): Promise<void> {
  if (options.enableCSPNonces) throw new Error('CSP nonces differ per response: register @fastify/helmet itself');
  const headers = await helmetHeaders(options);
  app.addHook('onRequest', (_request, reply, done) => {
    for (const [name, value] of headers) reply.raw.setHeader(name, value);
    done();
  });
}

/** What helmet sets on a response, as name/value pairs. */
async function helmetHeaders(options: FastifyHelmetOptions): Promise<Header[]> {
  const probe = Fastify({ logger: false });
  let headers: Header[] = [];
  try {
    await probe.register(helmet, options);
    // In the handler, the raw response holds only what onRequest hooks set: helmet's headers.
    probe.get('/', async (_request, reply) => {
      headers = Object.entries(reply.raw.getHeaders()).filter((h): h is Header => h[1] !== undefined);
      return '';
    });
    await probe.inject({ method: 'GET', url: '/' });
  } finally {
    await probe.close();
  }
  if (headers.length === 0) throw new Error('helmet set no headers');
  return headers;
}
