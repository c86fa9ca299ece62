/** The simulator's list of customers: pick one to be, or make a new one. */
import { html, useState } from '/vendor/preact-htm.js';
import { Icon } from '../../components/icons.js';
import { SIM_NAME_MAX } from '../../constants.js';
import { clock, colorSlot, dayLabel, initial } from '../../format.js';
import { nameProblem } from './data.js';

/** The name the bot account has in the demo's WeChat. */
export const BOT_NAME = '闪录客服';
const QUICK_NAMES = ['小明', '陈晨', '刘洋', '周婷', '吴昊'];

export function timeLabel(iso, now) {
  const day = dayLabel(iso, now);
  return day === '今天' ? clock(iso) : `${day} ${clock(iso)}`;
}

export function CustomerAvatar({ name, size = 'md' }) {
  return html`<span class=${`sim-avatar sim-avatar-${size} avatar-c${colorSlot(name)}`} aria-hidden="true">${initial(name)}</span>`;
}

export function BotAvatar({ size = 'md' }) {
  return html`<span class=${`sim-avatar sim-avatar-${size} sim-avatar-bot`} aria-hidden="true" title=${BOT_NAME}><${Icon} name="bot" size=${size === 'sm' ? 18 : 20} /></span>`;
}

function previewText(line) {
  if (!line) return '还没有聊天记录';
  const text = line.text.replace(/\s+/g, ' ').trim();
  return line.from === 'bot' ? `${BOT_NAME}：${text}` : text;
}

export function CustomerList({ names, local, selected, previews, unread, now, onSelect, onAdd }) {
  const [draft, setDraft] = useState('');
  const [problem, setProblem] = useState('');
  const all = [...names, ...local.filter((n) => !names.includes(n))];
  const picks = QUICK_NAMES.filter((n) => !all.includes(n)).slice(0, 4);

  function add(raw) {
    const name = String(raw ?? '').trim();
    const why = nameProblem(name);
    if (why) {
      setProblem(why);
      return;
    }
    setProblem('');
    setDraft('');
    onAdd(name);
  }

  return html`<aside class="sim-side" aria-label="模拟客户">
    <header class="col-head">
      <h1>模拟客户</h1>
      <span class="count" title="模拟客户数">${all.length}</span>
    </header>
    <form class="sim-new" novalidate onSubmit=${(e) => {
      e.preventDefault();
      add(draft);
    }}>
      <div class="sim-new-row">
        <input class="input" data-testid="sim-new-name" placeholder="客户昵称，如 小明" maxlength=${SIM_NAME_MAX} aria-label="新客户昵称"
          value=${draft} onInput=${(e) => {
            setDraft(e.currentTarget.value);
            setProblem('');
          }} />
        <button type="submit" class="btn btn-primary" data-testid="sim-new-add"><${Icon} name="plus" size=${15} />新建客户</button>
      </div>
      ${problem ? html`<div class="sim-new-error" role="alert" data-testid="sim-new-error">${problem}</div>` : null}
      ${picks.length
        ? html`<div class="sim-picks"><span class="muted small">快速选择</span>
            ${picks.map((n) => html`<button type="button" key=${n} class="sim-pick" data-testid="sim-quick-name" onClick=${() => add(n)}>${n}</button>`)}</div>`
        : null}
    </form>
    <div class="sim-cust-list" data-testid="sim-customers" role="list">
      ${all.length === 0 ? html`<div class="qsec-empty">还没有模拟客户，在上面输入昵称新建一个</div>` : null}
      ${all.map((n) => {
        const p = n === selected ? null : previews.get(n);
        const last = p?.last ?? null;
        const count = n === selected ? 0 : unread(n);
        const isNew = !names.includes(n);
        return html`<button type="button" role="listitem" key=${n} class=${`sim-cust${n === selected ? ' is-selected' : ''}`}
            data-testid="sim-customer" data-name=${n} aria-current=${n === selected ? 'true' : undefined} onClick=${() => onSelect(n)}>
          <span class="sim-cust-avatar"><${CustomerAvatar} name=${n} />${count ? html`<span class="rail-badge sim-unread" data-testid="sim-unread">${count > 99 ? '99+' : count}</span>` : null}</span>
          <span class="sim-cust-body">
            <span class="sim-cust-top"><span class="sim-cust-name"><bdi>${n}</bdi></span>
              ${last ? html`<span class="sim-cust-time">${timeLabel(last.at, now)}</span>` : null}</span>
            <span class="sim-cust-sub">${n === selected ? html`<span class="sim-me-tag">当前身份</span>` : null}<span class="sim-cust-preview">${isNew ? '新客户 · 还没发过消息' : n === selected ? '正在聊天' : previewText(last)}</span></span>
          </span>
        </button>`;
      })}
    </div>
  </aside>`;
}
