/**
 * What one kf/sync_msg entry means for us: a customer's message (origin 3), a system event
 * (origin 4) or a WeCom servicer's message (origin 5), with its transcript kind and text.
 * Media stay at WeChat: the transcript keeps the kind and the media_id (media/get fetches it
 * within 3 days).
 */
import type { KfEvent, KfMessage } from './wire.ts';

export const ORIGIN = { CUSTOMER: 3, EVENT: 4, SERVICER: 5 } as const;

export type Classified =
  | { type: 'customer'; externalUserId: string; kind: string; text: string; mediaId?: string; at: number }
  | { type: 'servicer'; externalUserId: string; servicer: string; kind: string; text: string; at: number }
  | { type: 'event'; externalUserId?: string; event: KfEvent; at: number }
  | { type: 'ignore'; why: string };

const LABEL: Record<string, string> = {
  image: '图片',
  voice: '语音',
  video: '视频',
  file: '文件',
  location: '位置',
  link: '链接',
  business_card: '名片',
  miniprogram: '小程序',
  msgmenu: '菜单',
  channels_shop_product: '视频号商品',
  channels_shop_order: '视频号订单',
  merged_msg: '聊天记录',
  channels: '视频号',
  meeting: '会议',
  schedule: '日程',
  note: '笔记',
};

/** Our transcript kinds for WeChat's msgtypes (the turn knows image, voice, video, file, link, location, contact). */
const KIND: Record<string, string> = { business_card: 'contact' };

const clean = (parts: (string | number | undefined)[]): string =>
  parts
    .filter((p) => p !== undefined && p !== '')
    .join(' ')
    .trim();

/** The transcript kind and text of a message (text for non-text kinds is a labelled summary). */
export function describe(m: KfMessage): { kind: string; text: string; mediaId?: string } {
  const label = `[${LABEL[m.msgtype] ?? m.msgtype}]`;
  const kind = KIND[m.msgtype] ?? m.msgtype;
  switch (m.msgtype) {
    case 'text':
      return { kind: 'text', text: m.text?.content ?? '' };
    case 'image':
    case 'voice':
    case 'video':
    case 'file': {
      const mediaId = m[m.msgtype]?.media_id;
      return { kind, text: clean([label, mediaId && `media_id:${mediaId}`]), mediaId };
    }
    case 'location': {
      const l = m.location;
      const at = l?.latitude !== undefined && l.longitude !== undefined ? `(${l.latitude},${l.longitude})` : undefined;
      return { kind, text: clean([label, l?.name, l?.address, at]) };
    }
    case 'link':
      return { kind, text: clean([label, m.link?.title, m.link?.url]) };
    case 'miniprogram':
      return { kind, text: clean([label, m.miniprogram?.title]) };
    default:
      return { kind, text: label };
  }
}

export function classify(m: KfMessage): Classified {
  const at = m.send_time * 1000;
  if (m.origin === ORIGIN.EVENT) {
    if (!m.event) return { type: 'ignore', why: 'an event without its fields' };
    return { type: 'event', externalUserId: m.event.external_userid ?? m.external_userid, event: m.event, at };
  }
  if (!m.external_userid) return { type: 'ignore', why: 'a message without external_userid' };
  if (m.origin === ORIGIN.CUSTOMER) return { type: 'customer', externalUserId: m.external_userid, at, ...describe(m) };
  if (m.origin === ORIGIN.SERVICER) {
    return { type: 'servicer', externalUserId: m.external_userid, servicer: m.servicer_userid ?? '', at, ...describe(m) };
  }
  return { type: 'ignore', why: `origin ${m.origin}` };
}
