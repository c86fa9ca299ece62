/**
 * Which customer messages say nothing a row should show: thanks, ok / yes / no, a greeting, a bare
 * request for a person (人工 / 转人工), "都不是", a number picked from a list, emoji. A queue row or a
 * 全部 row previews the latest message that is not one of these (append-15.lua keeps the one before),
 * and a handoff asked for with one of these carries the question before it, not the word.
 * Kept apart from the bot's word lists on purpose: those decide what a reply means, this only what
 * is worth a line in a list, and the handoff must not depend on the bot.
 */

const words = (list: string): ReadonlySet<string> => new Set(list.split(/\s+/).filter(Boolean));

const FILLER = words(`
  谢谢 谢谢你 谢谢您 谢谢啦 谢了 多谢 感谢 感谢你 非常感谢 好的 好 好吧 好滴 好嘞 好哒 嗯 嗯嗯 嗯呢 哦 哦哦 噢 喔 收到 知道了 明白了 懂了 了解
  行 可以 可以的 ok okay yes no y n 是 是的 对 对的 不是 不用 不用了 不要 不了 算了 没事 没事了 好了 拜拜 再见 bye thanks thx
  你好 您好 你好呀 您好呀 hi hello 嗨 哈喽 在吗 在么 在嘛 在不在 有人吗 有人在吗 亲 客服
  人工 转人工 人工客服 人工服务 找人工 找客服 联系客服 客服人员 真人 真人客服 human agent 转人工吧 人工在吗 我要人工 我要转人工
  都不是 都不对 以上都不是 不是这些 没有我要的 都没有 不是这个
  有帮助 没解决 没帮助 没用 解决了 已解决 满意 不满意 一般 还行 非常满意 很满意 很不满意 非常不满意
`);

// WeChat sends its built-in emoji as text codes: [微笑], [OK].
const WECHAT_EMOJI = /\[[\p{Script=Han}a-zA-Z]{1,4}\]/gu;
const NOISE = /[\p{P}\p{S}\p{Z}\p{Cf}\p{M}\s]+/gu;
// Chat particles at the end of a short reply: 好的呀 / 谢谢啦 / 人工吧.
const PARTICLES = /(?:啊|呀|哦|噢|呢|吧|啦|了|嘛|哈|诶|欸|哇|哟)+$/u;
const PICK = /^(?:第)?(?:\d{1,3}|[一二三四五六七八九十])(?:个|条|项|号|分)?$/u;

/** True when `text` is filler a list row should not show (see the file's comment). */
export function isFiller(text: string): boolean {
  const bare = text.normalize('NFKC').toLowerCase().replace(WECHAT_EMOJI, '').replace(NOISE, '');
  if (bare === '') return true;
  if (bare.length > 12) return false;
  return FILLER.has(bare) || FILLER.has(bare.replace(PARTICLES, '')) || PICK.test(bare);
}
