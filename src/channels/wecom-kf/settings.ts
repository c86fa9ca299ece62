/**
 * The 微信客服 channel's settings, from the environment (names fixed by the channels contract
 * other tools rely on; docs/channels.md). The composition root validates them with the rest of the config;
 * this schema is the channel's own view, usable on its own (tests, tools).
 */
import { z } from 'zod';

/** An EncodingAESKey: 43 characters of base64 (the "=" is implied). */
const aesKey = z.string().regex(/^[A-Za-z0-9+/]{43}$/, '43 letters, digits, + or / (the EncodingAESKey)');

const list = (v: string): string[] => [...new Set(v.split(',').map((x) => x.trim()).filter(Boolean))];

export const wecomKfSettingsSchema = z.object({
  WECOM_CORP_ID: z.string().regex(/^[A-Za-z0-9]{4,64}$/, 'the corp id: 4-64 letters or digits (ww… in WeCom\'s 我的企业)'),
  WECOM_KF_SECRET: z.string().min(8, 'the 微信客服 secret: at least 8 characters').max(256),
  WECOM_TOKEN: z.string().regex(/^[A-Za-z0-9]{1,32}$/, 'up to 32 letters or digits'),
  WECOM_AES_KEY: aesKey,
  WECOM_AES_KEY_PREVIOUS: aesKey.optional(),
  WECOM_OPEN_KFIDS: z
    .string()
    .transform(list)
    .pipe(z.array(z.string().regex(/^[A-Za-z0-9_-]{1,58}$/, 'open_kfid: letters, digits, _ or -')).min(1, 'at least one open_kfid')),
  WECOM_API_BASE: z
    .url({ protocol: /^https?$/, message: 'an http(s) URL' })
    .transform((u) => u.replace(/\/+$/, ''))
    .default('https://qyapi.weixin.qq.com'),
  /** Seconds between safety pulls without a callback (0 = only on callbacks). */
  WECOM_POLL_S: z.coerce.number().int().min(0).max(3_600).default(60),
  /**
   * A WeCom servicer's userid: when set, a handoff also moves the 微信客服 session to that person
   * (service_state 3) so they answer in the WeCom app; unset, our own agents answer through the API.
   */
  WECOM_TRANSFER_TO_SERVICER: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, 'a WeCom userid').optional(),
});

export interface WecomKfSettings {
  corpId: string;
  secret: string;
  token: string;
  aesKey: string;
  previousAesKey?: string;
  openKfids: string[];
  apiBase: string;
  pollS: number;
  transferToServicer?: string;
}

export type WecomKfSettingsResult = { ok: true; settings: WecomKfSettings } | { ok: false; issues: { variable: string; message: string }[] };

/** Reads the WECOM_* variables (empty ones count as unset); every problem is named at once. */
export function parseWecomKfSettings(env: Record<string, string | undefined>): WecomKfSettingsResult {
  const raw: Record<string, string> = {};
  for (const key of Object.keys(wecomKfSettingsSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v.trim() !== '') raw[key] = v.trim();
  }
  const parsed = wecomKfSettingsSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.map((i) => ({
        variable: String(i.path[0] ?? '(env)'),
        message: i.code === 'invalid_type' && raw[String(i.path[0])] === undefined ? 'required for the wecom-kf channel' : i.message,
      })),
    };
  }
  const e = parsed.data;
  return {
    ok: true,
    settings: {
      corpId: e.WECOM_CORP_ID,
      secret: e.WECOM_KF_SECRET,
      token: e.WECOM_TOKEN,
      aesKey: e.WECOM_AES_KEY,
      previousAesKey: e.WECOM_AES_KEY_PREVIOUS,
      openKfids: e.WECOM_OPEN_KFIDS,
      apiBase: e.WECOM_API_BASE,
      pollS: e.WECOM_POLL_S,
      transferToServicer: e.WECOM_TRANSFER_TO_SERVICER,
    },
  };
}
