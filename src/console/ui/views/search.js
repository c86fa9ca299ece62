/**
 * 搜索: messages and customers over live and archived conversations (GET /api/search). Every text is
 * rendered as text (htm escapes it); the query's words are marked by splitting the text, never by
 * building HTML. A result opens the chat at its message (#/c/<id>?m=<message id>).
 */
import { html, useEffect, useState } from '/vendor/preact-htm.js';
import { describeError, get } from '../api.js';
import { Icon } from '../components/icons.js';
import { SearchBox } from '../components/search-box.js';
import { Spinner } from '../components/spinner.js';
import { CHANNELS, STATUSES } from '../constants.js';
import { convHref, snippetOf, when } from '../format.js';

export const searchHref = (q) => `#/search/${encodeURIComponent(q)}`;

/** The topbar's field: Enter opens the results page. */
export function TopbarSearch({ initial = '' }) {
  const [value, setValue] = useState(initial);
  useEffect(() => setValue(initial), [initial]);
  return html`<form class="topbar-search" role="search" onSubmit=${(e) => {
      e.preventDefault();
      const q = value.trim();
      if (q) location.hash = searchHref(q);
    }}>
    <${SearchBox} testid="search-input" placeholder="搜索消息或客户" label="搜索会话：消息、客户昵称或 ID" value=${value} onInput=${setValue} />
  </form>`;
}

/** `text` as parts, the query's words (case-insensitive) marked: [{ text, hit }]. */
export function markParts(text, q) {
  const words = [...new Set(q.split(/\s+/).filter(Boolean).map((w) => w.toLowerCase()))].sort((a, b) => b.length - a.length);
  if (!words.length) return [{ text, hit: false }];
  const lower = text.toLowerCase();
  const parts = [];
  let i = 0;
  let start = 0;
  while (i < text.length) {
    const w = words.find((x) => lower.startsWith(x, i));
    if (!w) {
      i++;
      continue;
    }
    if (i > start) parts.push({ text: text.slice(start, i), hit: false });
    parts.push({ text: text.slice(i, i + w.length), hit: true });
    i += w.length;
    start = i;
  }
  if (start < text.length) parts.push({ text: text.slice(start), hit: false });
  return parts;
}

const Marked = ({ text, q }) => markParts(text, q).map((p) => (p.hit ? html`<mark class="search-hit">${p.text}</mark>` : p.text));

const FROM = { customer: '客户', bot: '机器人', agent: '客服', note: '备注', system: '系统' };

export function SearchPage({ q }) {
  const [state, setState] = useState({ loading: true });
  const load = async (cursor, before = []) => {
    try {
      const res = await get(`/api/search?q=${encodeURIComponent(q)}&limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      setState({ items: [...before, ...res.items], next: res.next, scope: res.scope });
    } catch (err) {
      setState({ error: describeError(err), items: before });
    }
  };
  useEffect(() => {
    setState({ loading: true });
    void load(null);
  }, [q]);

  const items = state.items ?? [];
  return html`<main class="page search-page" data-testid="search-page">
    <header class="search-head">
      <h2>搜索“${q}”</h2>
      ${state.scope === 'live' ? html`<span class="muted" data-testid="search-scope">仅搜索了进行中的会话（历史存档不可用）</span>` : null}
    </header>
    ${state.loading ? html`<${Spinner} />` : null}
    ${state.error ? html`<p class="error" role="alert">${state.error}</p>` : null}
    ${!state.loading && !state.error && items.length === 0
      ? html`<p class="muted" data-testid="search-empty">没有找到相关的消息或客户。${[...q.trim()].length < 2
          ? html`<span data-testid="search-short">客户昵称和 ID 至少输入两个字才能搜到，例如「张伟」。</span>`
          : null}</p>`
      : null}
    <ol class="search-results">
      ${items.map(
        (it) => html`<li key=${`${it.conversation.id}|${it.message.id}`}>
          <a class="search-result" data-testid="search-result" href=${`${convHref(it.conversation.id)}?m=${encodeURIComponent(it.message.id)}`}>
            <div class="search-result-head">
              <strong class="search-customer"><${Marked} text=${it.conversation.customer.name || it.conversation.customer.id} q=${q} /></strong>
              <span class="badge">${STATUSES[it.conversation.status] ?? it.conversation.status}</span>
              ${it.channel ? html`<span class="muted">${CHANNELS[it.channel] ?? it.channel}</span>` : null}
              ${it.match === 'customer' ? html`<span class="muted">匹配客户</span>` : null}
              ${it.repeats > 1 ? html`<span class="muted" data-testid="search-repeats">机器人同样的回复 ${it.repeats} 次</span>` : null}
              <span class="muted search-time">${when(it.message.at)}</span>
            </div>
            <div class="search-snippet" data-testid="search-snippet"><span class="muted">${FROM[it.message.from] ?? ''}：</span><${Marked} text=${snippetOf(it.message.text, q)} q=${q} /></div>
          </a>
        </li>`,
      )}
    </ol>
    ${state.next ? html`<button type="button" class="btn" data-testid="search-more" onClick=${() => load(state.next, items)}><${Icon} name="search" size=${14} />更多结果</button>` : null}
  </main>`;
}
