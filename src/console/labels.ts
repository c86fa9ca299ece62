/**
 * The Chinese words for the codes the server shows people (the markdown report, anything written
 * for a reader rather than a program): handoff reasons, conversation statuses, channels, known
 * problems' statuses, why a question counts as missed. The web UI has the same words in
 * ui/constants.js (it has no build step to import these); test/console/labels.test.ts keeps the two equal.
 * An unknown code is shown as itself: a new one is visible, not hidden.
 */
// Records over the handoff's code types: a new reason or status without its word does not compile.
import type { ConversationStatus, HandoffReason } from '../handoff/index.ts';

export const REASON_LABELS: Record<HandoffReason, string> = {
  customer_asked: '客户要求转人工',
  low_confidence: '机器人没把握',
  not_helpful: '答案没帮上忙',
  non_text: '图片/语音等',
  agent_initiated: '客服发起',
  low_rating: '差评跟进',
  complaint: '客户不满',
};

export const STATUS_LABELS: Record<ConversationStatus, string> = {
  bot: '机器人接待中',
  waiting: '排队等待',
  active: '人工服务中',
  awaiting_fix: '等待问题修复',
  resolved: '已解决',
};

/** The door a customer came through (the bot account's channel kind). */
export const CHANNEL_LABELS: Record<string, string> = { wechaty: '个人微信', 'wecom-kf': '微信客服', oa: '公众号' };

export const PROBLEM_STATUS_LABELS: Record<string, string> = { open: '进行中', fixed: '已修复' };

export const GAP_REASON_LABELS: Record<string, string> = { unanswered: '机器人没答上', not_helpful: '答案没帮上忙' };

/** Satisfaction's category of ratings with neither a tag nor an FAQ entry. */
export const UNCATEGORIZED_LABEL = '未分类';

const of =
  (labels: Record<string, string>) =>
  (code: string | null | undefined): string =>
    code ? (labels[code] ?? code) : '';

export const reasonLabel = of(REASON_LABELS);
export const statusLabel = of(STATUS_LABELS);
export const channelLabel = of(CHANNEL_LABELS);
export const problemStatusLabel = of(PROBLEM_STATUS_LABELS);
export const gapReasonLabel = of(GAP_REASON_LABELS);
export const categoryLabel = (c: string): string => (c === 'uncategorized' ? UNCATEGORIZED_LABEL : c);
