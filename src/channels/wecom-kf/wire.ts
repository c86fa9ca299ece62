/**
 * The 微信客服 API's answers as zod schemas: every answer is checked before anything reads it.
 * Unknown fields pass (WeChat adds fields over time); what we rely on must be there and typed.
 */
import { z } from 'zod';

/** Every answer carries errcode (0 = ok) and errmsg. */
export const baseAnswer = z.object({ errcode: z.number().int().default(0), errmsg: z.string().default('') }).loose();

export const tokenAnswer = z.object({ access_token: z.string().min(1), expires_in: z.number().int().positive() }).loose();

const media = z.object({ media_id: z.string().min(1) }).loose();

/** The fields of one event (origin 4); which ones are present depends on event_type. */
export const kfEvent = z
  .object({
    event_type: z.string(),
    open_kfid: z.string().optional(),
    external_userid: z.string().optional(),
    scene: z.string().optional(),
    scene_param: z.string().optional(),
    welcome_code: z.string().optional(),
    fail_msgid: z.string().optional(),
    fail_type: z.number().int().optional(),
    servicer_userid: z.string().optional(),
    status: z.number().int().optional(),
    change_type: z.number().int().optional(),
    old_servicer_userid: z.string().optional(),
    new_servicer_userid: z.string().optional(),
    msg_code: z.string().optional(),
    recall_msgid: z.string().optional(),
  })
  .loose();
export type KfEvent = z.infer<typeof kfEvent>;

/** One entry of kf/sync_msg's msg_list. */
export const kfMessage = z
  .object({
    msgid: z.string().min(1),
    open_kfid: z.string().optional(),
    external_userid: z.string().optional(),
    send_time: z.number().int().nonnegative(),
    /** 3 = the customer, 4 = a system event, 5 = a WeCom servicer in the WeCom app. */
    origin: z.number().int(),
    servicer_userid: z.string().optional(),
    msgtype: z.string(),
    text: z.object({ content: z.string(), menu_id: z.string().optional() }).loose().optional(),
    image: media.optional(),
    voice: media.optional(),
    video: media.optional(),
    file: media.optional(),
    location: z
      .object({ latitude: z.number().optional(), longitude: z.number().optional(), name: z.string().optional(), address: z.string().optional() })
      .loose()
      .optional(),
    link: z.object({ title: z.string().optional(), desc: z.string().optional(), url: z.string().optional() }).loose().optional(),
    business_card: z.object({ userid: z.string().optional() }).loose().optional(),
    miniprogram: z.object({ title: z.string().optional(), appid: z.string().optional(), pagepath: z.string().optional() }).loose().optional(),
    event: kfEvent.optional(),
  })
  .loose();
export type KfMessage = z.infer<typeof kfMessage>;

export const syncMsgAnswer = z
  .object({ next_cursor: z.string().default(''), has_more: z.union([z.number(), z.boolean()]).transform(Boolean).default(false), msg_list: z.array(kfMessage).default([]) })
  .loose();
export type SyncMsgAnswer = z.infer<typeof syncMsgAnswer>;

export const sendMsgAnswer = z.object({ msgid: z.string().optional() }).loose();

export const serviceStateAnswer = z
  .object({ service_state: z.number().int().min(0).max(4), servicer_userid: z.string().optional() })
  .loose();
export type ServiceStateAnswer = z.infer<typeof serviceStateAnswer>;

export const transAnswer = z.object({ msg_code: z.string().optional() }).loose();

/** kf/customer/batchget: what WeChat tells about customers who wrote within 48 h (the others are invalid). */
export const batchgetAnswer = z
  .object({
    customer_list: z
      .array(
        z
          .object({
            external_userid: z.string().min(1),
            nickname: z.string().default(''),
            avatar: z.string().optional(),
            gender: z.number().int().optional(),
            unionid: z.string().optional(),
          })
          .loose(),
      )
      .default([]),
    invalid_external_userid: z.array(z.string()).default([]),
  })
  .loose();
export type BatchgetAnswer = z.infer<typeof batchgetAnswer>;

/** The callback's decrypted notice: "there is something to pull" for one KF account. */
export const callbackNotice = z
  .object({
    ToUserName: z.string().optional(),
    CreateTime: z.string().optional(),
    MsgType: z.string(),
    Event: z.string().optional(),
    Token: z.string().optional(),
    OpenKfId: z.string().optional(),
  })
  .loose();
export type CallbackNotice = z.infer<typeof callbackNotice>;
