/**
 * The web UI's constants in one place: the Chinese labels of the server's codes, the limits the
 * server enforces on what people type (checked here first, so the person sees why), how often
 * things refresh, and the chart colours (the palette of styles/base.css).
 */

// ---------------------------------------------------------------------------------------------
// Labels

export const ROLE_NAMES = { agent: '客服', editor: '知识库编辑', manager: '主管', admin: '管理员' };

export const STATUSES = {
  bot: '机器人接待中',
  waiting: '排队等待',
  active: '人工服务中',
  awaiting_fix: '等待问题修复',
  resolved: '已解决',
};

export const REASONS = {
  customer_asked: '客户要求转人工',
  low_confidence: '机器人没把握',
  not_helpful: '答案没帮上忙',
  non_text: '图片/语音等',
  agent_initiated: '客服发起',
  low_rating: '差评跟进',
  complaint: '客户不满',
};
/** The order handoff reasons are listed in when their counts tie. */
export const REASON_ORDER = Object.keys(REASONS);

export const SLA_LABELS = { ok: '正常', warn: '即将超时', breach: '已超时' };

export const TIERS = { vip: 'VIP', standard: '标准' };

/** The door a customer came through (the bot account's channel). */
export const CHANNELS = { wechaty: '个人微信', 'wecom-kf': '微信客服', oa: '公众号' };

/** Customer message kinds other than text. */
export const KINDS = {
  image: '图片',
  voice: '语音',
  audio: '语音',
  video: '视频',
  file: '文件',
  sticker: '表情',
  emoticon: '表情',
  link: '链接',
  url: '链接',
  location: '位置',
  miniprogram: '小程序',
  contact: '名片',
};

/** A bot account's WeChat login. */
export const BOT_STATUSES = {
  scan: '等待扫码登录',
  logged_in: '在线',
  logged_out: '已掉线',
  stopped: '已停止',
  error: '出错',
  unknown: '未知',
};

export const PROBLEM_STATUSES = { open: '进行中', fixed: '已修复' };
/** Live events that change a known problem: a conversation linked to it, or a fix told to a customer. */
export const PROBLEM_EVENTS = new Set(['parked', 'fixed']);

/** How one of a customer's conversations so far ended (GET /api/customers/…: sessions[].outcome). */
export const SESSION_OUTCOMES = { resolved: '已解决', fixed: '问题修复后关闭', withdrawn: '客户结束了排队', awaiting_fix: '等待问题修复', open: '进行中' };

/** Why a question counts as one the FAQ missed. */
export const GAP_REASONS = { unanswered: '机器人没答上', not_helpful: '答案没帮上忙', suggested: '给了选项没选' };

// ---------------------------------------------------------------------------------------------
// Limits (the server's)

/** A reply, an internal note, a simulated customer's message (characters, not UTF-16 units). */
export const MAX_TEXT = 2000;
export const TAG_MAX = 32;
export const PROBLEM_TITLE_MAX = 100;
export const PROBLEM_DESC_MAX = 2000;
export const FIX_NOTE_MAX = 500;
/** What customers are told a known problem is: a few plain words. */
export const PROBLEM_PUBLIC_TITLE_MAX = 40;
export const SIM_NAME_MAX = 32;
export const KB_QUESTION_MAX = 200;
export const KB_ID_MAX = 64;
/** An entry id and a category (its folder), as the server takes them: lower-case letters, digits, "-" between them. */
export const KB_ID_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const KB_CATEGORY_MAX = 32;
export const KB_ANSWER_MAX = 4000;
/** The longest date range the reports take. */
export const MAX_RANGE_DAYS = 366;

// ---------------------------------------------------------------------------------------------
// Refreshing

/** Lists and pages that follow live events are read again this often anyway (a missed event, a reconnect). */
export const REFRESH_MS = 30_000;
/** The managers' live counts. */
export const STATS_REFRESH_MS = 10_000;
/** The bot accounts' logins. */
export const BOTS_REFRESH_MS = 15_000;
/** How often shown times re-render: the queue's waiting clocks, a chat's SLA and times, relative times ("5分钟前"). */
export const TICK_CLOCK_MS = 1_000;
export const TICK_TIMES_MS = 15_000;
/** How long 解决 / 关闭（不回复） can be taken back (撤销) before it is sent. */
export const RESOLVE_UNDO_MS = 5_000;
export const TICK_AGO_MS = 30_000;

// ---------------------------------------------------------------------------------------------
// Colours (the charts draw on a canvas: no CSS variables there)

export const COLOURS = {
  primary: '#1f6fd1',
  /** Okabe-Ito green and vermilion, as --ok-accent and --breach-accent. */
  ok: '#009e73',
  breach: '#d55e00',
  muted: '#6a7686',
  border: '#e3e8ef',
  grid: '#eef1f5',
  bar: '#7fa8df',
  barFill: 'rgba(31, 111, 209, 0.16)',
};
