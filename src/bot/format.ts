/**
 * Pure helpers of a turn: the bot's texts joined into as few WeChat messages as fit, and the
 * transcript's note of a flood cut.
 */
import type { NewMessage } from '../handoff/index.ts';
import { WECHAT_MAX_MESSAGE_BYTES } from '../knowledge/index.ts';
import type { FloodCut } from './guard.ts';

/** A text the bot is about to send, with what its transcript entry carries. */
export interface Outgoing {
  text: string;
  extra?: Partial<NewMessage>;
}

const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/**
 * Joins consecutive texts with a blank line while the result fits one WeChat message. The joined
 * message keeps the FAQ id and confidence of the answer in it (the transcript counts answers).
 */
export function coalesce(out: Outgoing[], maxBytes: number = WECHAT_MAX_MESSAGE_BYTES): Outgoing[] {
  const merged: Outgoing[] = [];
  for (const o of out) {
    const last = merged.at(-1);
    if (last && utf8Bytes(last.text) + 2 + utf8Bytes(o.text) <= maxBytes && !(last.extra?.faqId && o.extra?.faqId)) {
      merged[merged.length - 1] = { text: `${last.text}\n\n${o.text}`, extra: last.extra ?? o.extra };
    } else {
      merged.push(o);
    }
  }
  return merged;
}

/** The transcript's note of a flood cut, for the agent (the console shows a system line's text). */
export function floodCutText(cut: FloodCut): string {
  const quoted = cut.samples.filter(Boolean).map((s) => `「${s}」`).join('');
  return `客户刷屏：另有 ${cut.count} 条消息未逐条保存${quoted ? `，开头如 ${quoted}` : ''}`;
}

