/** The simulator's fastify app: WeCom and Official Account routes on one server (apart from listen). */
import Fastify, { type FastifyInstance } from 'fastify';
import { guard, query, registerBodyParser, sendErr, type SimContext } from './http.ts';
import type { Platform } from './errcodes.ts';
import { WECOM_ERR } from './errcodes.ts';
import type { MediaStore } from './media.ts';
import { registerOaRoutes } from './oa-routes.ts';
import type { OaWorld } from './oa-world.ts';
import type { OaSimOptions, WecomSimOptions } from './types.ts';
import { registerWecomRoutes } from './wecom-routes.ts';
import type { WecomWorld } from './wecom-world.ts';

export interface SimAppParts {
  ctx: SimContext;
  media: MediaStore;
  wecom?: { world: WecomWorld; options: WecomSimOptions };
  oa?: { world: OaWorld; options: OaSimOptions };
}

export function buildSimApp(parts: SimAppParts): FastifyInstance {
  const { ctx, media } = parts;
  const app = Fastify({ logger: false });
  registerBodyParser(app);
  if (parts.wecom) registerWecomRoutes(app, ctx, parts.wecom.world, parts.wecom.options);
  if (parts.oa) registerOaRoutes(app, ctx, parts.oa.world, media, parts.oa.options);

  // Both platforms have /cgi-bin/media/get (on their own hosts); the token tells whose call it is.
  app.get('/cgi-bin/media/get', async (req, reply) => {
    const platform: Platform = !parts.oa || (parts.wecom && ctx.tokens.check('wecom', query(req).access_token) === 0) ? 'wecom' : 'oa';
    const blocked = guard(ctx, req, platform, { token: true });
    if (blocked) return reply.send(blocked);
    const entry = media.get(platform, query(req).media_id ?? '', ctx.clock.now());
    if (!entry) return sendErr(ctx, reply, platform, WECOM_ERR.INVALID_MEDIA_ID);
    return reply
      .header('content-type', entry.contentType)
      .header('content-disposition', `attachment; filename="${entry.filename}"`)
      .send(entry.data);
  });
  return app;
}
