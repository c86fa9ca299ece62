/** 微信客服's API under its official paths (qyapi.weixin.qq.com), answering in its wire format. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { WECOM_ERR } from './errcodes.ts';
import { guard, jsonBody, query, sendErr, type SimContext } from './http.ts';
import type { WecomSimOptions } from './types.ts';
import type { SendRequest, WecomWorld } from './wecom-world.ts';

const syncSchema = z
  .object({
    cursor: z.string().max(64).optional(),
    token: z.string().max(128).optional(),
    limit: z.number().int().optional(),
    voice_format: z.union([z.literal(0), z.literal(1)]).optional(),
    open_kfid: z.string().optional(),
  })
  .loose();

const sendSchema = z.object({ touser: z.string().min(1), open_kfid: z.string().min(1), msgid: z.string().optional(), msgtype: z.string().min(1) }).loose();
const onEventSchema = z.object({ code: z.string().min(1), msgid: z.string().optional(), msgtype: z.string().min(1) }).loose();
const stateSchema = z.object({ open_kfid: z.string().min(1), external_userid: z.string().min(1) }).loose();
const batchgetSchema = z
  .object({ external_userid_list: z.array(z.string().min(1)), need_enter_session_context: z.union([z.literal(0), z.literal(1)]).optional() })
  .loose();
const transSchema = stateSchema.extend({ service_state: z.number().int(), servicer_userid: z.string().optional() });

export function registerWecomRoutes(app: FastifyInstance, ctx: SimContext, world: WecomWorld, options: WecomSimOptions): void {
  const P = 'wecom' as const;

  app.get('/cgi-bin/gettoken', async (req, reply) => {
    const blocked = guard(ctx, req, P, { token: false });
    if (blocked) return reply.send(blocked);
    const { corpid, corpsecret } = query(req);
    if (!corpid) return sendErr(ctx, reply, P, WECOM_ERR.CORPID_MISSING);
    if (!corpsecret) return sendErr(ctx, reply, P, WECOM_ERR.SECRET_MISSING);
    if (corpid !== options.corpId) return sendErr(ctx, reply, P, WECOM_ERR.INVALID_CORPID);
    if (corpsecret !== options.secret) return sendErr(ctx, reply, P, WECOM_ERR.INVALID_SECRET);
    return reply.send({ errcode: 0, errmsg: 'ok', ...ctx.tokens.wecom() });
  });

  app.post('/cgi-bin/kf/sync_msg', async (req, reply) => {
    const blocked = guard(ctx, req, P, { token: true });
    if (blocked) return reply.send(blocked);
    const body = jsonBody(req, syncSchema, WECOM_ERR.INVALID_PARAMETER);
    if (!body.ok) return sendErr(ctx, reply, P, body.errcode, body.detail);
    const result = world.sync(body.value);
    if (!result.ok) return sendErr(ctx, reply, P, result.errcode, result.detail);
    return reply.send({ errcode: 0, errmsg: 'ok', next_cursor: result.next_cursor, has_more: result.has_more, msg_list: result.msg_list });
  });

  app.post('/cgi-bin/kf/send_msg', async (req, reply) => {
    const blocked = guard(ctx, req, P, { token: true });
    if (blocked) return reply.send(blocked);
    const body = jsonBody(req, sendSchema, WECOM_ERR.INVALID_PARAMETER);
    if (!body.ok) return sendErr(ctx, reply, P, body.errcode, body.detail);
    const result = world.send(body.value as SendRequest);
    if (!result.ok) return sendErr(ctx, reply, P, result.errcode, result.detail);
    return reply.send({ errcode: 0, errmsg: 'ok', msgid: result.msgid });
  });

  app.post('/cgi-bin/kf/send_msg_on_event', async (req, reply) => {
    const blocked = guard(ctx, req, P, { token: true });
    if (blocked) return reply.send(blocked);
    const body = jsonBody(req, onEventSchema, WECOM_ERR.INVALID_PARAMETER);
    if (!body.ok) return sendErr(ctx, reply, P, body.errcode, body.detail);
    const result = world.sendOnEvent(body.value);
    if (!result.ok) return sendErr(ctx, reply, P, result.errcode, result.detail);
    return reply.send({ errcode: 0, errmsg: 'ok', msgid: result.msgid });
  });

  app.post('/cgi-bin/kf/service_state/get', async (req, reply) => {
    const blocked = guard(ctx, req, P, { token: true });
    if (blocked) return reply.send(blocked);
    const body = jsonBody(req, stateSchema, WECOM_ERR.INVALID_PARAMETER);
    if (!body.ok) return sendErr(ctx, reply, P, body.errcode, body.detail);
    if (!world.openKfids.has(body.value.open_kfid)) return sendErr(ctx, reply, P, WECOM_ERR.INVALID_OPEN_KFID);
    return reply.send({ errcode: 0, errmsg: 'ok', ...world.serviceState(body.value.open_kfid, body.value.external_userid) });
  });

  app.post('/cgi-bin/kf/service_state/trans', async (req, reply) => {
    const blocked = guard(ctx, req, P, { token: true });
    if (blocked) return reply.send(blocked);
    const body = jsonBody(req, transSchema, WECOM_ERR.INVALID_PARAMETER);
    if (!body.ok) return sendErr(ctx, reply, P, body.errcode, body.detail);
    const result = world.trans(body.value);
    if (!result.ok) return sendErr(ctx, reply, P, result.errcode, result.detail);
    return reply.send({ errcode: 0, errmsg: 'ok', ...(result.msg_code ? { msg_code: result.msg_code } : {}) });
  });

  app.post('/cgi-bin/kf/customer/batchget', async (req, reply) => {
    const blocked = guard(ctx, req, P, { token: true });
    if (blocked) return reply.send(blocked);
    const body = jsonBody(req, batchgetSchema, WECOM_ERR.INVALID_PARAMETER);
    if (!body.ok) return sendErr(ctx, reply, P, body.errcode, body.detail);
    const result = world.batchget(body.value.external_userid_list, body.value.need_enter_session_context === 1);
    if (!result.ok) return sendErr(ctx, reply, P, result.errcode, result.detail);
    return reply.send({ errcode: 0, errmsg: 'ok', customer_list: result.customer_list, invalid_external_userid: result.invalid_external_userid });
  });
}
