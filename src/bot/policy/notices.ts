/**
 * The notices the bot sends outside the dialogue itself: where a queued customer stands and when
 * to expect an agent (times as a customer reads them: "今天 15:30", "周一 09:00"), the delay notice
 * when the handoff store is unreachable, and the kind of a non-text message in words. The wording
 * is the editors' (`_messages.yml`); this fills it in.
 */
import { DateTime } from 'luxon';
import type { QueueNotice } from '../../handoff/sla.ts';
import type { ConversationStatus } from '../../handoff/types.ts';
import { renderTemplate, type Messages } from '../messages.ts';
import type { Decision, Session } from '../types.ts';
import { carry, say } from './context.ts';
import { unknownStatus } from './waiting.ts';

const WEEKDAYS = ['周一', '周二', '周三', '周四', '周五', '周六', '周日'];

/**
 * A moment as the customer reads it, relative to `now` in `timezone`: "今天 15:30", "明天 10:00";
 * further away "11月30日 周一 09:20" (with the year when it differs), or with `weekdayOnly`
 * "周一 09:00" when within the coming 6 days. Seconds are rounded up: "before 15:30" stays true.
 */
export function formatWhen(at: number, now: number, timezone: string, weekdayOnly = false): string {
  // Up to the minute, but a deadline a few ms past one (the queue keeps ties apart by ms: 18:00:00.002)
  // is that minute: "18:00", not "18:01".
  const when = DateTime.fromMillis(Math.ceil((at - 1000) / 60_000) * 60_000, { zone: timezone });
  const today = DateTime.fromMillis(now, { zone: timezone }).startOf('day');
  const days = Math.round(when.startOf('day').diff(today, 'days').days);
  const time = when.toFormat('HH:mm');
  if (days === 0) return `今天 ${time}`;
  if (days === 1) return `明天 ${time}`;
  const weekday = WEEKDAYS[when.weekday - 1] ?? '';
  if (weekdayOnly && days > 1 && days < 7) return `${weekday} ${time}`;
  const year = when.year === today.year ? '' : `${when.year}年`;
  return `${year}${when.month}月${when.day}日 ${weekday} ${time}`;
}

/** The business hours as a customer reads them: "周一至周五 09:00-18:00", "每天 08:00-22:00", "周一、周三 …". */
export function hoursText(hours: { weekdays: readonly number[]; open: string; close: string }): string {
  const days = [...new Set(hours.weekdays)].sort((a, b) => a - b);
  const run = days.length > 1 && days.every((d, i) => i === 0 || d === days[i - 1]! + 1);
  const name = (d: number): string => WEEKDAYS[d - 1] ?? '';
  const when = days.length === 7 ? '每天' : run ? `${name(days[0]!)}至${name(days.at(-1)!)}` : days.map(name).join('、');
  return `${when} ${hours.open}-${hours.close}`;
}

/**
 * Tells a customer who was just queued where they stand (zh-CN).
 * Within business hours (`queued`): position and "预计今天 15:30前"; outside (`outside_hours`):
 * position and when the agents start ("客服将在周一 09:00 上班后回复您"). Times are shown in the
 * business `timezone`; `now` is the moment of queuing (epoch ms), for "今天" / "明天".
 */
export function queueNoticeText(notice: QueueNotice, messages: Messages, timezone: string, now: number): string {
  const vars = { position: notice.position, time: formatWhen(notice.expectedBy, now, timezone) };
  if (notice.withinHours || notice.opensAt === undefined) return renderTemplate(messages.queued, vars);
  return renderTemplate(messages.outside_hours, { ...vars, opens: formatWhen(notice.opensAt, now, timezone, true) });
}

/**
 * A waiting customer asking after the wait: their place now and when to expect a reply
 * (`queue_place`, `queue_place_sorry` with an apology, `queue_escalated` after a complaint);
 * without a place (Redis did not answer in time), `already_queued`, `queue_wait_sorry` or
 * `complaint_handoff`.
 */
export function queuePlaceText(notice: QueueNotice | null | undefined, tell: 'place' | 'sorry' | 'escalated', messages: Messages, timezone: string, now: number): string {
  if (!notice) return tell === 'escalated' ? messages.complaint_handoff : tell === 'sorry' ? messages.queue_wait_sorry : messages.already_queued;
  const vars = { position: notice.position, time: formatWhen(notice.expectedBy, now, timezone) };
  return renderTemplate(tell === 'escalated' ? messages.queue_escalated : tell === 'sorry' ? messages.queue_place_sorry : messages.queue_place, vars);
}

/** When the handoff store (Redis) is unreachable: the request is noted, an agent will get back. */
export function delayNoticeText(messages: Messages): string {
  return messages.delay_notice;
}

const KIND_LABELS: Record<string, string> = {
  image: '图片',
  picture: '图片',
  photo: '图片',
  voice: '语音',
  audio: '语音',
  video: '视频',
  file: '文件',
  attachment: '文件',
  sticker: '表情',
  emoticon: '表情',
  emoji: '表情',
  link: '链接',
  url: '链接',
  location: '位置',
  contact: '名片',
  card: '名片',
  miniprogram: '小程序',
  mini_program: '小程序',
};

/** The kind of a non-text message in words, for `{kind}`: image → 图片, … (unknown kinds: 这类消息). */
export function kindLabel(kind: string): string {
  return KIND_LABELS[kind.toLowerCase()] ?? '这类消息';
}

const PLACEHOLDERS: Readonly<Record<string, NonTextKind>> = { 图片: 'image', 照片: 'image', 语音: 'voice', 视频: 'video', 文件: 'file', 位置: 'location', 链接: 'link', 名片: 'contact', 小程序: 'miniprogram' };
/** "[图片]", "[语音]" as text (a simulator, a client that flattens attachments): the kind it stands for. */
export function placeholderKind(text: string): NonTextKind | undefined {
  const m = /^\s*\[([^\]]{2,3})\]\s*$/u.exec(text);
  return m ? PLACEHOLDERS[m[1]!] : undefined;
}

/** Non-text message kinds the plugin may pass; any other string is accepted too. */
export type NonTextKind = 'image' | 'voice' | 'video' | 'file' | 'sticker' | 'link' | 'location' | 'contact' | 'miniprogram';

/**
 * Decides the reply to a picture, voice message, file, sticker, link, ….
 * waiting / active: nothing (the plugin relays a typed placeholder to the transcript);
 * awaiting_fix: the awaiting_fix notice once per session, else nothing;
 * bot / resolved: `text_only` (the bot reads text only) and a person is offered ("1" accepts,
 * reason non_text).
 */
export function decideNonText(kind: NonTextKind | string, status: ConversationStatus, session: Session, messages: Messages): Decision {
  switch (status) {
    case 'waiting':
    case 'active':
      return { actions: [], session };
    case 'awaiting_fix':
      if (session.fixNoticeSent) return { actions: [], session };
      return { actions: [say(messages.awaiting_fix)], session: { ...session, fixNoticeSent: true } };
    case 'bot':
    case 'resolved':
      return {
        actions: [say(renderTemplate(messages.text_only, { kind: kindLabel(kind) }))],
        session: { ...carry(session), humanOffered: true, offerReason: 'non_text' },
      };
    default:
      return unknownStatus(status, { actions: [], session });
  }
}

