/** The simulated phone: the chat as the customer's WeChat shows it, and the box to type in. */
import { html, useEffect, useRef, useState } from '/vendor/preact-htm.js';
import { Icon } from '../../components/icons.js';
import { useStickToBottom } from '../../components/scroll.js';
import { Spinner } from '../../components/spinner.js';
import { MAX_TEXT } from '../../constants.js';
import { chars, clock } from '../../format.js';
import { toast } from '../../toast.js';
import { BOT_NAME, BotAvatar, CustomerAvatar, timeLabel } from './customers.js';

/** WeChat shows a time above a message when the chat was quiet this long. */
const TIME_GAP_MS = 5 * 60_000;
const QUICK_TEXTS = ['你好', '录屏没有声音怎么办', '怎么去水印', '转人工', '1', '2'];

function Line({ line, name, onRetry }) {
  const mine = line.from === 'customer';
  const state = line.pending ? (line.failed ? 'failed' : 'sending') : undefined;
  return html`<div class=${`sim-line ${mine ? 'sim-line-me' : 'sim-line-bot'}`} data-testid="sim-line" data-from=${line.from} data-state=${state}>
    ${mine ? html`<${CustomerAvatar} name=${name} />` : html`<${BotAvatar} />`}
    <div class="sim-line-col">
      ${mine ? null : html`<div class="sim-line-name">${BOT_NAME}</div>`}
      <div class="sim-bubble-row">
        <div class="sim-bubble"><div class="sim-text" data-testid="sim-text">${line.text}</div></div>
        ${state === 'sending' ? html`<span class="sim-sending" aria-label="发送中" title="发送中"></span>` : null}
        ${state === 'failed'
          ? html`<button type="button" class="sim-failed" data-testid="sim-retry" title="发送失败，点击重发" aria-label="发送失败，点击重发" onClick=${() => onRetry(line)}>!</button>`
          : html`<span class="sim-line-time">${line.at ? clock(line.at) : ''}</span>`}
      </div>
    </div>
  </div>`;
}

function Lines({ lines, name, now, onRetry }) {
  const out = [];
  let prev = 0;
  lines.forEach((line, i) => {
    const t = Date.parse(line.at);
    if (!line.pending && Number.isFinite(t) && (i === 0 || t - prev >= TIME_GAP_MS)) {
      out.push(html`<div class="sim-time" key=${`t-${i}`}>${timeLabel(line.at, now)}</div>`);
    }
    if (!line.pending && Number.isFinite(t)) prev = t;
    out.push(html`<${Line} key=${line.key} line=${line} name=${name} onRetry=${onRetry} />`);
  });
  return out;
}

export function Phone({ name, chat, lines, onSend, onRetry, now, focusKey }) {
  const [text, setText] = useState('');
  const ref = useRef(null);
  const scroller = useStickToBottom(`${name}:${lines.length}:${lines.at(-1)?.key}`, { slack: 60, followResize: true });

  useEffect(() => {
    setText('');
    scroller.reset();
    if (name) ref.current?.focus();
  }, [name]);
  useEffect(() => {
    if (focusKey && name) ref.current?.focus();
  }, [focusKey]);

  function send(value) {
    if (!name) return;
    const t = value.trim();
    if (!t) return;
    if (chars(t) > MAX_TEXT) {
      toast(`消息太长了：最多 ${MAX_TEXT} 字，当前 ${chars(t)} 字`, { kind: 'error' });
      return;
    }
    scroller.reset();
    onSend(t);
  }

  function onKeyDown(e) {
    // An IME's Enter confirms a candidate (pinyin input): never a send.
    if (e.isComposing || e.keyCode === 229) return;
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      if (text.trim()) {
        send(text);
        setText('');
      }
    }
  }

  const rows = Math.min(4, Math.max(1, text.split('\n').length));
  return html`<div class="sim-phone" data-testid="sim-chat" data-customer=${name || ''}>
    <div class="sim-status" aria-hidden="true"><span>${clock(new Date(now).toISOString())}</span><span class="sim-status-right"><span class="sim-signal"><i></i><i></i><i></i><i></i></span><span class="sim-battery"></span></span></div>
    <header class="sim-head">
      <span class="sim-head-side" aria-hidden="true"><${Icon} name="chevronLeft" size=${20} /></span>
      <span class="sim-head-title">${BOT_NAME}</span>
      <span class="sim-head-side sim-head-more" aria-hidden="true"><${Icon} name="more" size=${20} /></span>
    </header>
    ${chat.failed ? html`<div class="sim-offline" role="status">${chat.status === 404 ? '模拟器已不可用（演示可能已停止）' : '连接中断，正在重试…'}</div>` : null}
    <div class="sim-scroll" ref=${scroller.ref} onScroll=${scroller.onScroll} aria-live="polite">
      ${!name
        ? html`<div class="sim-empty"><${Icon} name="phone" size=${36} /><p>从左侧选择一位客户，或新建一个客户</p><p class="small">然后以客户的身份给「${BOT_NAME}」发消息</p></div>`
        : !chat.loaded && !chat.failed && lines.length === 0
          ? html`<div class="sim-empty"><${Spinner} /></div>`
          : lines.length === 0
            ? html`<div class="sim-empty"><p>还没有消息</p><p class="small">发一句试试，例如「你好」，或点下方的快捷短语</p></div>`
            : html`<${Lines} lines=${lines} name=${name} now=${now} onRetry=${onRetry} />`}
    </div>
    <footer class="sim-foot">
      <div class="sim-input-row">
        <textarea ref=${ref} class="sim-input" data-testid="sim-input" rows=${rows} value=${text} disabled=${!name}
          aria-label=${name ? `以 ${name} 的身份发消息` : '先选择客户'}
          placeholder=${name ? '发消息（Enter 发送，Shift+Enter 换行）' : '先在左侧选择或新建客户'}
          onInput=${(e) => setText(e.currentTarget.value)} onKeyDown=${onKeyDown}></textarea>
        <button type="button" class="sim-send" data-testid="sim-send" disabled=${!name || !text.trim()}
          onClick=${() => {
            send(text);
            setText('');
            ref.current?.focus();
          }}>发送</button>
      </div>
      <div class="sim-chips" aria-label="快捷短语">
        ${QUICK_TEXTS.map((t) => html`<button type="button" key=${t} class="sim-chip" data-testid="sim-chip" disabled=${!name} title=${`发送「${t}」`}
            onClick=${() => send(t)}>${t}</button>`)}
      </div>
    </footer>
  </div>`;
}
