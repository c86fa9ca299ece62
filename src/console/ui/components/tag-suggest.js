/**
 * Suggested tags under the tag editor: what the model (trained on the team's past tags) and the FAQ
 * entries the chat touched say this chat is about. A click, or the T key for the first, adds one;
 * tags the system applied by itself are named, so the agent can take them off like any tag.
 */
import { html, useEffect, useRef, useState } from '/vendor/preact-htm.js';
import { get, post } from '../api.js';
import { toastError } from '../toast.js';

const KEY = 't';
const path = (id) => `/api/conversations/${encodeURIComponent(id)}/tag-suggestions`;
const why = (s) => {
  const parts = [];
  if (s.score !== null) parts.push(`可能性 ${Math.round(s.score * 100)}%`);
  if (s.words.length) parts.push(`依据：${s.words.join('、')}`);
  if (s.faqIds.length) parts.push(`机器人回答过：${s.faqIds.join('、')}`);
  return parts.join('；');
};

export function TagSuggest({ conv, enabled }) {
  const [data, setData] = useState(null);
  const [busy, setBusy] = useState(false);
  const tags = conv.tags ?? [];
  const tagsKey = tags.join('\n');
  // Asked again whenever the tags change (an accept, an edit, another tab): the answer drops what is there.
  useEffect(() => {
    let current = true;
    get(path(conv.id))
      .then((d) => current && setData(d))
      .catch(() => current && setData(null));
    return () => {
      current = false;
    };
  }, [conv.id, tagsKey]);

  const items = (data?.items ?? []).filter((s) => !tags.includes(s.tag));
  const accept = async (tag) => {
    if (busy || !enabled) return;
    setBusy(true);
    try {
      await post(`${path(conv.id)}/accept`, { tag });
      // The conversation itself follows with the live event; the chip goes now.
      setData((d) => (d ? { ...d, items: d.items.filter((s) => s.tag !== tag) } : d));
    } catch (err) {
      toastError(err, '添加标签失败');
    } finally {
      setBusy(false);
    }
  };

  const first = useRef(null);
  first.current = enabled && items[0] ? items[0].tag : null;
  useEffect(() => {
    function onKey(e) {
      if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented || e.key.toLowerCase() !== KEY) return;
      const t = e.target;
      if (t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName))) return;
      if (!first.current) return;
      e.preventDefault();
      void accept(first.current);
    }
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  });

  const auto = (data?.applied ?? []).filter((t) => tags.includes(t));
  if (!items.length && !auto.length) return null;
  return html`<div class="tag-suggest" data-testid="tag-suggest">
    ${items.length
      ? html`<div class="tag-suggest-row">
          <span class="muted small">建议</span>
          ${items.map(
            (s, i) => html`<button type="button" class="tag tag-suggested" key=${s.tag} data-testid="tag-suggestion" data-tag=${s.tag}
              disabled=${!enabled || busy} title=${why(s)} aria-label=${`添加建议标签 ${s.tag}`} onClick=${() => accept(s.tag)}>
              <span aria-hidden="true">+</span>${s.tag}${i === 0 && enabled ? html`<kbd title="按 T 添加">T</kbd>` : null}
            </button>`,
          )}
        </div>`
      : null}
    ${auto.length
      ? html`<div class="muted small" data-testid="tag-auto">已自动添加：${auto.join('、')}（不对可以直接移除）</div>`
      : null}
  </div>`;
}
