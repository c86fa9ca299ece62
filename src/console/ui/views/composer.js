import { html, useEffect, useLayoutEffect, useMemo, useRef, useState } from '/vendor/preact-htm.js';
import { Icon } from '../components/icons.js';
import { MAX_TEXT } from '../constants.js';
import { canned } from '../data.js';
import { clearDraft, loadDraft, saveDraft } from '../drafts.js';
import { chars } from '../format.js';
import { live } from '../live.js';
import { useStore } from '../store.js';
import { toast } from '../toast.js';

const TYPING_EVERY_MS = 2500;
const MENU_LIMIT = 50;

/** Title matches first, then the key, then the text: "/发票" should put the invoice FAQ on top. */
function matches(items, query) {
  const q = query.trim().toLowerCase();
  if (!q) return items.slice(0, MENU_LIMIT);
  const has = (s) => String(s ?? '').toLowerCase().includes(q);
  const rank = (i) => (String(i.title ?? '').toLowerCase().startsWith(q) ? 0 : has(i.title) ? 1 : has(i.key) ? 2 : has(i.text) ? 3 : 9);
  return items
    .map((item, at) => ({ item, at, r: rank(item) }))
    .filter((x) => x.r < 9)
    .sort((a, b) => a.r - b.r || a.at - b.at)
    .slice(0, MENU_LIMIT)
    .map((x) => x.item);
}

function CannedMenu({ items, index, onPick, onHover }) {
  const listRef = useRef(null);
  useEffect(() => {
    listRef.current?.querySelector('.is-active')?.scrollIntoView({ block: 'nearest' });
  }, [index]);
  return html`<div class="canned-menu" data-testid="canned-menu" role="listbox" aria-label="快捷回复" ref=${listRef}>
    <div class="canned-head">快捷回复 <span class="muted">↑↓ 选择 · Enter/Tab 插入 · Esc 关闭</span></div>
    ${items.length === 0 ? html`<div class="canned-empty">没有匹配的快捷回复</div>` : null}
    ${items.map(
      (item, i) => html`<div key=${`${item.source}:${item.key}`} role="option" aria-selected=${i === index}
          class=${`canned-item${i === index ? ' is-active' : ''}`} data-testid="canned-item" data-key=${item.key}
          onMouseDown=${(e) => {
            // Keep the focus in the textarea.
            e.preventDefault();
            onPick(item);
          }}
          onMouseEnter=${() => onHover(i)}>
        <div class="canned-title">
          <span class=${`canned-src canned-src-${item.source}`}>${item.source === 'faq' ? 'FAQ' : '模板'}</span>
          <span class="canned-name">${item.title || item.key}</span>
          ${item.source === 'faq' && item.faqId ? html`<span class="canned-key">${item.faqId}</span>` : null}
        </div>
        <div class="canned-text">${item.text}</div>
      </div>`,
    )}
  </div>`;
}

/**
 * The reply box. Enter sends, Shift+Enter is a newline (Ctrl/Cmd+Enter sends too); a text starting
 * with "/" opens the canned replies. While the agent types, other agents see a typing mark. What is
 * typed is kept per conversation (drafts.js) until sent; a reply over the limit cannot be sent.
 */
/** Words for the bot's customers (an FAQ answer picked as a canned reply: "请回复「人工」…"), odd from a person. */
const BOT_WORDS = /回复\s*[「『“"【]?\s*转?人工/u;
/** A phone or tablet: no Shift key to speak of, so the hint does not mention one. */
const TOUCH = typeof matchMedia === 'function' && matchMedia('(pointer: coarse)').matches;

export function Composer({ convId, enabled, disabledText, onSend, focusKey, typingOthers }) {
  const { items } = useStore(canned);
  const [text, setText] = useState(() => loadDraft(convId));
  const [index, setIndex] = useState(0);
  const [dismissed, setDismissed] = useState(false);
  const [sending, setSending] = useState(false);
  const ref = useRef(null);
  const typingAt = useRef(0);

  const menuOpen = enabled && text.startsWith('/') && !dismissed;
  const hits = useMemo(() => (menuOpen ? matches(items, text.slice(1)) : []), [menuOpen, items, text]);

  useEffect(() => {
    setText(loadDraft(convId));
    setDismissed(false);
    typingAt.current = 0;
  }, [convId]);

  useEffect(() => {
    if (focusKey && enabled) ref.current?.focus();
  }, [focusKey, enabled]);

  function stopTyping() {
    if (typingAt.current) live.setTyping(null);
    typingAt.current = 0;
  }
  useEffect(() => stopTyping, [convId]);

  function onInput(e) {
    const value = e.currentTarget.value;
    setText(value);
    saveDraft(convId, value);
    setIndex(0);
    if (!value.startsWith('/')) setDismissed(false);
    if (!value.trim()) stopTyping();
    else if (Date.now() - typingAt.current > TYPING_EVERY_MS) {
      typingAt.current = Date.now();
      live.setTyping(convId);
    }
  }

  // A picked reply puts the caret after its text in the commit that shows it. A later frame
  // (requestAnimationFrame) could land after the agent's next select-all and collapse it.
  const [picked, setPicked] = useState(0);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!picked || !el) return;
    el.focus();
    el.setSelectionRange(el.value.length, el.value.length);
  }, [picked]);

  function pick(item) {
    setText(item.text);
    saveDraft(convId, item.text);
    setDismissed(false);
    setPicked((n) => n + 1);
  }

  async function send() {
    const value = text.trim();
    if (!value || sending || !enabled) return;
    if (chars(value) > MAX_TEXT) {
      toast(`消息太长了：最多 ${MAX_TEXT} 字，当前 ${chars(value)} 字`, { kind: 'error' });
      return;
    }
    setSending(true);
    const ok = await onSend(value);
    setSending(false);
    if (ok) {
      setText('');
      clearDraft(convId);
      stopTyping();
    }
    ref.current?.focus();
  }

  function onKeyDown(e) {
    // An IME's Enter confirms a candidate (pinyin input): never a send.
    if (e.isComposing || e.keyCode === 229) return;
    if (menuOpen) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        if (hits.length) setIndex((i) => (i + (e.key === 'ArrowDown' ? 1 : hits.length - 1)) % hits.length);
        return;
      }
      if ((e.key === 'Enter' && !e.shiftKey) || e.key === 'Tab') {
        if (hits.length) {
          e.preventDefault();
          pick(hits[Math.min(index, hits.length - 1)]);
          return;
        }
        if (e.key === 'Tab') return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        setDismissed(true);
        return;
      }
    }
    if (e.key === 'Enter' && (!e.shiftKey || e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      send();
    }
  }

  const count = chars(text);
  const tooLong = count > MAX_TEXT;
  const botWords = BOT_WORDS.test(text);
  return html`<div class=${`composer${enabled ? '' : ' is-disabled'}`}>
    ${typingOthers.length
      ? html`<div class="typing" data-testid="typing-indicator"><span class="dots" aria-hidden="true"><i></i><i></i><i></i></span>
          ${typingOthers.map((a) => a.name).join('、')} 正在输入…</div>`
      : null}
    ${menuOpen ? html`<${CannedMenu} items=${hits} index=${Math.min(index, Math.max(hits.length - 1, 0))} onPick=${pick} onHover=${setIndex} />` : null}
    <div class="composer-box">
      <textarea ref=${ref} data-testid="reply-input" rows="3" value=${text} disabled=${!enabled}
        placeholder=${enabled ? (TOUCH ? '输入回复，输入 / 选择快捷回复' : '输入回复，Enter 发送，Shift+Enter 换行，输入 / 选择快捷回复') : disabledText}
        aria-label="回复客户" onInput=${onInput} onKeyDown=${onKeyDown}></textarea>
      <div class="composer-bar">
        <button type="button" class="btn btn-ghost btn-sm" disabled=${!enabled} title="快捷回复（输入 /）"
          onClick=${() => {
            setText('/');
            setDismissed(false);
            ref.current?.focus();
          }}>/ 快捷回复</button>
        <span class=${`composer-hint${tooLong ? ' is-over' : botWords ? ' is-warn' : ''}`} data-testid="composer-hint">${enabled
          ? tooLong
            ? `超出 ${count - MAX_TEXT} 字：一条回复最多 ${MAX_TEXT} 字，请删减或分开发送`
            : botWords
              ? '这段话让客户「回复人工」，可客户已经在和您对话了：发送前请改掉这句'
              : '回复将通过微信发送给客户'
          : ''}</span>
        <span class=${`char-count${tooLong ? ' is-over' : ''}`} data-testid="char-count">${count > MAX_TEXT - 200 ? `${count}/${MAX_TEXT}` : ''}</span>
        <button type="button" class="btn btn-primary" data-testid="reply-send" disabled=${!enabled || sending || !text.trim() || tooLong}
          title=${tooLong ? `最多 ${MAX_TEXT} 字` : undefined}
          onClick=${send}><${Icon} name="send" size=${16} />${sending ? '发送中…' : '发送'}</button>
      </div>
    </div>
  </div>`;
}
