/** The Official Account API under its official paths (api.weixin.qq.com), answering in its wire format. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { OA_ERR } from './errcodes.ts';
import { guard, jsonBody, query, sendErr, type SimContext } from './http.ts';
import type { MediaStore } from './media.ts';
import type { CustomSendRequest, OaWorld } from './oa-world.ts';
import type { OaSimOptions } from './types.ts';

const stableSchema = z.object({
  grant_type: z.string().optional(),
  appid: z.string().optional(),
  secret: z.string().optional(),
  force_refresh: z.boolean().optional(),
});
const customSchema = z.object({ touser: z.string().min(1), msgtype: z.string().min(1) }).loose();

export function registerOaRoutes(app: FastifyInstance, ctx: SimContext, world: OaWorld, media: MediaStore, options: OaSimOptions): void {
  const P = 'oa' as const;

  /** 0 when the credentials are right, else the OA platform's errcode. */
  const credentials = (grantType?: string, appid?: string, secret?: string): number => {
    if (grantType !== 'client_credential') return OA_ERR.INVALID_GRANT_TYPE;
    if (!appid) return OA_ERR.APPID_MISSING;
    if (!secret) return OA_ERR.SECRET_MISSING;
    if (appid !== options.appId) return OA_ERR.INVALID_APPID;
    if (secret !== options.secret) return OA_ERR.INVALID_APPSECRET;
    return 0;
  };

  app.get('/cgi-bin/token', async (req, reply) => {
    const blocked = guard(ctx, req, P, { token: false });
    if (blocked) return reply.send(blocked);
    const q = query(req);
    const code = credentials(q.grant_type, q.appid, q.secret);
    if (code) return sendErr(ctx, reply, P, code);
    // The OA platform's token answer carries no errcode.
    return reply.send(ctx.tokens.oa());
  });

  app.post('/cgi-bin/stable_token', async (req, reply) => {
    const blocked = guard(ctx, req, P, { token: false });
    if (blocked) return reply.send(blocked);
    const body = jsonBody(req, stableSchema, OA_ERR.DATA_FORMAT, OA_ERR.EMPTY_POST);
    if (!body.ok) return sendErr(ctx, reply, P, body.errcode, body.detail);
    const code = credentials(body.value.grant_type, body.value.appid, body.value.secret);
    if (code) return sendErr(ctx, reply, P, code);
    return reply.send(ctx.tokens.oaStableToken(body.value.force_refresh ?? false));
  });

  app.post('/cgi-bin/message/custom/send', async (req, reply) => {
    const blocked = guard(ctx, req, P, { token: true });
    if (blocked) return reply.send(blocked);
    const body = jsonBody(req, customSchema, OA_ERR.DATA_FORMAT, OA_ERR.EMPTY_POST);
    if (!body.ok) return sendErr(ctx, reply, P, body.errcode, body.detail);
    const result = world.customSend(body.value as CustomSendRequest);
    if (!result.ok) return sendErr(ctx, reply, P, result.errcode, result.detail);
    return reply.send({ errcode: 0, errmsg: 'ok' });
  });

  // A customer's picture (the PicUrl of an image message): public, no token, like WeChat's CDN.
  app.get<{ Params: { mediaId: string } }>('/sim/oa/pic/:mediaId', async (req, reply) => {
    const entry = media.get('oa', req.params.mediaId, ctx.clock.now());
    if (!entry) return reply.code(404).send();
    return reply.header('content-type', entry.contentType).send(entry.data);
  });
}
