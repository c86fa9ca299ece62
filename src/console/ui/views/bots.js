/**
 * 微信账号 (#/bots, managers): the WeChat login of every bot account, with the QR code to scan
 * while one waits for a login; and the red banner the shell shows when an account goes down.
 * The data (bots.js) follows bot_status live events and polls every 15 s.
 */
import { html, useEffect } from '/vendor/preact-htm.js';
import { botAlerts, bots, dismissBotAlert, refreshBots } from '../bots.js';
import { Icon } from '../components/icons.js';
import { Spinner } from '../components/spinner.js';
import { BOT_STATUSES, TICK_AGO_MS, TICK_TIMES_MS } from '../constants.js';
import { ago, timeOfDay, when } from '../format.js';
import { useNow, useStore } from '../store.js';

/** What the time under the status means, per status. */
const SINCE = {
  scan: '二维码生成于',
  logged_in: '登录于',
  logged_out: '掉线于',
  stopped: '停止于',
  error: '出错于',
  unknown: '更新于',
};

const HINTS = {
  logged_in: { icon: 'check', tone: 'ok', text: '正常接收客户消息，机器人自动应答中。' },
  logged_out: { icon: 'alert', tone: 'bad', text: '账号已掉线，客户消息暂时无人接收。机器人重新登录时，这里会出现新的二维码。' },
  error: { icon: 'alert', tone: 'bad', text: '机器人出错，客户消息暂时无人接收。请查看机器人日志，必要时重启机器人进程。' },
  stopped: { icon: 'clock', tone: 'idle', text: '机器人进程已停止，启动后这里会显示它的登录状态。' },
  unknown: { icon: 'clock', tone: 'idle', text: '还没有收到这个账号的登录状态。' },
};

function StatusPill({ status }) {
  return html`<span class=${`bot-status bot-status-${status}`} data-testid="bot-status">
    <span class="bot-dot" aria-hidden="true"></span>${BOT_STATUSES[status] ?? BOT_STATUSES.unknown}</span>`;
}

const QR_SIZE = 220;

/**
 * The QR code's side in CSS pixels: a whole number of pixels per module near QR_SIZE, so every
 * module is drawn the same size (crisp enough for any phone camera). The server's SVG says its
 * module count in its viewBox.
 */
function qrSide(dataUrl) {
  try {
    const svg = atob(dataUrl.slice(dataUrl.indexOf(',') + 1));
    const n = Number(/viewBox="0 0 (\d+) \d+"/.exec(svg)?.[1]);
    if (n > 0) return n * Math.max(1, Math.round(QR_SIZE / n));
  } catch {
    // Not base64: the browser still draws it at the default size.
  }
  return QR_SIZE;
}

function ScanBody({ bot }) {
  if (!bot.qr) {
    return html`<div class="bot-qr-box bot-qr-pending"><${Spinner} /><p class="muted">正在获取登录二维码…</p></div>`;
  }
  const side = qrSide(bot.qr);
  return html`<div class="bot-qr-box">
    <div class="bot-qr-frame"><img class="bot-qr" data-testid="bot-qr" src=${bot.qr} width=${side} height=${side} alt=${`微信账号 ${bot.id} 的登录二维码`} /></div>
    <p class="bot-qr-title"><${Icon} name="phone" size=${16} />用客服微信扫码登录</p>
    <p class="muted small">打开微信，点右上角「+」→「扫一扫」，再在手机上确认登录。二维码过期后会自动换新。</p>
  </div>`;
}

function BotCard({ bot, now }) {
  const status = BOT_STATUSES[bot.status] ? bot.status : 'unknown';
  const hint = HINTS[status];
  return html`<section class=${`card bot-card bot-card-${status}`} data-testid="bot-card" data-bot-id=${bot.id} data-status=${status}>
    <div class="bot-card-head">
      <span class="bot-avatar" aria-hidden="true"><${Icon} name="bot" size=${20} /></span>
      <div class="bot-card-title">
        <div class="bot-id" data-testid="bot-id" title=${bot.id}>${bot.id}</div>
        <div class="muted small" data-testid="bot-since" title=${bot.at ? when(bot.at, now) : undefined}>
          ${bot.at ? `${SINCE[status]} ${ago(bot.at, now)}` : '暂无记录'}
        </div>
      </div>
      <${StatusPill} status=${status} />
    </div>
    ${status === 'scan'
      ? html`<${ScanBody} bot=${bot} />`
      : html`<div class=${`bot-hint bot-hint-${hint.tone}`}><${Icon} name=${hint.icon} size=${16} /><span>${hint.text}</span></div>`}
  </section>`;
}

export function BotsPage() {
  const state = useStore(bots);
  const now = useNow(TICK_TIMES_MS);
  useEffect(() => refreshBots(), []);
  const items = state.items;
  const online = items.filter((b) => b.status === 'logged_in').length;
  return html`<main class="page" data-testid="bots-page">
    <header class="page-head row-between">
      <div>
        <h1>微信账号 ${state.loaded ? html`<span class="count">${online}/${items.length} 在线</span>` : null}</h1>
        <p class="muted">机器人登录的客服微信，状态实时更新${state.at ? ` · 更新于 ${timeOfDay(state.at)}` : ''}</p>
      </div>
      <button type="button" class="btn btn-sm" data-testid="bots-refresh" onClick=${() => refreshBots()}><${Icon} name="refresh" size=${15} />刷新</button>
    </header>
    ${state.failed ? html`<div class="inline-error">账号状态刷新失败，稍后自动重试</div>` : null}
    ${!state.loaded
      ? html`<div class="conv-empty"><${Spinner} /></div>`
      : items.length === 0
        ? html`<div class="card bots-empty" data-testid="bots-empty"><${Icon} name="bot" size=${36} /><h2>还没有微信账号</h2>
            <p class="muted">机器人进程启动后，它的账号会出现在这里；需要登录时会显示二维码。</p></div>`
        : html`<div class="bots-grid">${items.map((b) => html`<${BotCard} key=${b.id} bot=${b} now=${now} />`)}</div>`}
  </main>`;
}

/** The red banners at the top of the shell: one per account that is down (managers only). */
export function BotAlerts() {
  const { items } = useStore(botAlerts);
  const now = useNow(TICK_AGO_MS);
  if (!items.length) return null;
  return html`<div class="bot-alerts">
    ${items.map(
      (a) => html`<div key=${a.botId} class="bot-alert" data-testid="bot-alert" data-bot-id=${a.botId} data-status=${a.status}>
        <${Icon} name="alert" size=${18} />
        <span class="bot-alert-text">微信账号 <strong>${a.botId}</strong> ${a.status === 'error' ? '出错' : '已掉线'}，客户消息暂时无人接收。</span>
        ${a.at ? html`<span class="bot-alert-time" title=${when(a.at, now)}>${ago(a.at, now)}</span>` : null}
        <span class="spacer"></span>
        <a class="btn btn-sm bot-alert-go" href="#/bots" data-testid="bot-alert-go">去重新登录</a>
        <button type="button" class="bot-alert-close" data-testid="bot-alert-close" aria-label="关闭提醒" title="关闭提醒"
          onClick=${() => dismissBotAlert(a.botId)}>×</button>
      </div>`,
    )}
  </div>`;
}
