/**
 * Never miss a customer, wherever the agent is in the console: a customer writing in one of my
 * chats (or a chat handed to me) rings the optional sound and shows a browser notification when I
 * am not looking at that chat; a customer joining the queue, a notification and a title mark when
 * I am not looking at the console; an SLA breach warns the chat's owner and the managers, and a low
 * rating the managers, with a toast on any page and a notification. Only live events that carry
 * their change count: a catch-up after a reconnect replays history, which must not ring anything.
 *
 * Notifications need the browser's permission, asked from a click (NotifyToggle); the agent may
 * switch them off again here without touching the browser's settings.
 */
import { html, useEffect, useState } from '/vendor/preact-htm.js';
import { post, session } from './api.js';
import { Icon } from './components/icons.js';
import { applyConversation } from './data.js';
import { convHref, hasRole } from './format.js';
import { live } from './live.js';
import { beep, markNewWaiting, soundEnabled } from './notify.js';
import { toast } from './toast.js';

const NOTIFY_KEY = 'kefu.notify';
const UNREAD_STATUSES = new Set(['active', 'awaiting_fix']);

export const notifySupported = () => typeof window.Notification === 'function';
export const notifyEnabled = () => notifySupported() && Notification.permission === 'granted' && localStorage.getItem(NOTIFY_KEY) !== 'off';

const nameOf = (conv) => conv?.customer?.name || conv?.customer?.id || '客户';
/** Someone is looking at this tab. */
const looking = () => document.visibilityState === 'visible' && document.hasFocus();
/** I am looking at this chat right now (then nothing needs to call me). */
const watching = (conv) => live.viewing === conv && looking();

function notify(title, body, conv) {
  if (!notifyEnabled()) return;
  try {
    // One notification per chat (`tag`): a burst of messages replaces, not stacks.
    const n = new Notification(title, { body, tag: conv ? `kefu:${conv}` : undefined, icon: '/assets/favicon.svg' });
    n.onclick = () => {
      window.focus();
      if (conv) location.hash = convHref(conv);
      n.close();
    };
  } catch {
    // Some browsers (Chrome on Android) only show notifications from a service worker: the toast and title remain.
  }
}

function onEvent(ev) {
  const me = session.agent;
  if (!me || !hasRole(me, 'agent') || !ev?.conv || !('conversation' in ev)) return;
  const conv = ev.conversation;
  const d = ev.data ?? {};
  const manager = hasRole(me, 'manager');
  const mine = conv?.assignee?.id === me.id;
  if (ev.type === 'message' && d.from === 'customer' && mine && UNREAD_STATUSES.has(conv.status)) {
    if (watching(ev.conv)) return;
    if (soundEnabled()) beep();
    notify(`${nameOf(conv)} 发来新消息`, ev.message?.text ?? conv.preview ?? '', ev.conv);
  } else if (ev.type === 'waiting' && conv?.status === 'waiting' && !conv.assignee) {
    // A customer joined the queue (the list's sound rings for it): called when nobody is looking.
    if (looking()) return;
    markNewWaiting();
    notify('新客户排队', `${nameOf(conv)}${conv.question ? `：${conv.question}` : ''}`, ev.conv);
  } else if (ev.type === 'transferred' && d.agentId === me.id && d.fromAgentId !== me.id) {
    if (soundEnabled()) beep();
    notify('有一个会话转给了你', `${nameOf(conv)}${d.note ? `：${d.note}` : ''}`, ev.conv);
  } else if (ev.type === 'sla_breach' && (manager || mine)) {
    const text = `客户 ${nameOf(conv)} 等待已超过承诺的回复时间`;
    toast(html`客户 <bdi>${nameOf(conv)}</bdi> 等待已超过承诺的回复时间`, { kind: 'warn', detail: '机器人已向客户致歉并给出新的预计时间，请尽快接入', ms: 10_000 });
    notify('会话已超时', text, ev.conv);
  } else if (ev.type === 'low_rating' && manager) {
    const score = Number(d.score);
    const shown = Number.isFinite(score) ? score : '?';
    const text = `收到差评：${shown} 分 · 客户 ${nameOf(conv)}`;
    toast(html`收到差评：${shown} 分 · 客户 <bdi>${nameOf(conv)}</bdi>`, { kind: 'warn', detail: `会话 ${ev.conv}`, ms: 8000 });
    notify('收到差评', text, ev.conv);
  }
}

/** Starts listening; returns the stop function. */
export function startAttention() {
  return live.on('event', onEvent);
}

/**
 * The owner reads the chat shown: its unread count goes back to 0 on the server (every tab's row
 * and title follow from the `read` event). Only while the tab is visible: a chat open in a tab in
 * the background has not been read.
 */
export function useMarkRead(conv, me, onRead) {
  const id = conv?.id;
  const owed = Boolean(conv && conv.assignee?.id === me.id && UNREAD_STATUSES.has(conv.status) && conv.unread > 0);
  useEffect(() => {
    if (!owed) return undefined;
    let sent = false;
    const run = () => {
      if (sent || document.visibilityState !== 'visible') return;
      sent = true;
      post(`/api/conversations/${encodeURIComponent(id)}/read`)
        .then((res) => {
          if (res?.id !== id) return;
          onRead?.(res);
          applyConversation(id, res);
        })
        .catch(() => {
          sent = false;
        });
    };
    run();
    document.addEventListener('visibilitychange', run);
    return () => document.removeEventListener('visibilitychange', run);
  }, [id, owed, conv?.unread]);
}

/** The top bar's switch for browser notifications: asks the browser's permission on the first click. */
export function NotifyToggle() {
  const [, setTick] = useState(0);
  if (!notifySupported()) return null;
  const denied = Notification.permission === 'denied';
  const on = notifyEnabled();
  async function toggle() {
    if (on) localStorage.setItem(NOTIFY_KEY, 'off');
    else {
      localStorage.setItem(NOTIFY_KEY, 'on');
      if (Notification.permission === 'default') await Notification.requestPermission().catch(() => undefined);
      if (Notification.permission === 'denied') toast('浏览器已禁止本站的通知，请在浏览器的网站设置里允许', { kind: 'error' });
    }
    setTick((t) => t + 1);
  }
  const title = denied ? '浏览器已禁止通知（在浏览器的网站设置里允许）' : on ? '桌面通知：开（点击关闭）' : '桌面通知：关（点击开启）';
  return html`<button type="button" class=${`icon-btn${on ? ' is-on' : ''}`} data-testid="notify-toggle" aria-pressed=${on} title=${title}
      disabled=${denied} onClick=${toggle}><${Icon} name="alert" size=${17} /><span class="icon-btn-text">${on ? '通知开' : '通知关'}</span></button>`;
}
