/**
 * The Official Account API's answers, checked with zod (an answer that is not what the docs say
 * is an error, not a guess), and the callback messages we read.
 */
import { z } from 'zod';

/** `stable_token` / `token`: a token, or an errcode. */
export const tokenAnswer = z.union([
  z.object({ access_token: z.string().min(1), expires_in: z.number().int().positive() }),
  z.object({ errcode: z.number().int(), errmsg: z.string().optional().default('') }),
]);

/** Every other call: errcode 0 is success. */
export const baseAnswer = z.object({ errcode: z.number().int().optional().default(0), errmsg: z.string().optional().default('') });

/**
 * A callback message after decryption (safe mode) or as posted (plaintext). Fields are strings as
 * in the XML: `MsgId` stays a string (it exceeds 2^53), `CreateTime` is seconds.
 */
export const callbackMessage = z
  .object({
    ToUserName: z.string().min(1),
    FromUserName: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'an openid'),
    CreateTime: z.string().regex(/^\d{1,12}$/),
    MsgType: z.string().min(1),
    MsgId: z.string().regex(/^\d{1,32}$/).optional(),
    Content: z.string().optional(),
    PicUrl: z.string().optional(),
    MediaId: z.string().optional(),
    Recognition: z.string().optional(),
    Label: z.string().optional(),
    Url: z.string().optional(),
    Title: z.string().optional(),
    Event: z.string().optional(),
    EventKey: z.string().optional(),
  })
  .passthrough();
export type CallbackMessage = z.infer<typeof callbackMessage>;

/** WeChat's errcodes the adapter acts on. */
export const OA_ERRCODE = {
  /** Invalid credential / token expired / token invalid: fetch a new token once and retry once. */
  TOKEN: new Set([40001, 42001, 40014]),
  RATE_LIMITED: 45009,
  /** The customer's 48 h window is over, or its message count is used up. */
  WINDOW: new Set([45015, 45047]),
} as const;
