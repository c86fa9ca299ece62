import { html, useState } from '/vendor/preact-htm.js';
import { post } from '../../api.js';
import { toastError } from '../../toast.js';
import { savedToast } from './entry-forms.js';

/** "真实流量 Top 10" next to the editors' menu, and the one click that adopts it. */
export function TopTen({ top, loaded, onChanged }) {
  const [busy, setBusy] = useState(false);
  const items = top?.items ?? [];
  const menu = top?.menu ?? [];
  const same = items.length > 0 && items.length === menu.length && items.every((t, i) => menu[i]?.id === t.id);
  async function adopt() {
    if (busy || same) return;
    setBusy(true);
    try {
      savedToast(await post('/api/kb/menu', { ids: items.map((t) => t.id) }), '“常见问题”菜单已按真实流量重新排序');
      onChanged();
    } catch (err) {
      toastError(err, '采用失败', { 409: '知识库文件有问题或刚被修改，请刷新后再试' });
    } finally {
      setBusy(false);
    }
  }
  const col = { margin: 0, padding: '0 0 0 22px' };
  // flex: none: the page is a fixed-height flex column, where a flush card would shrink to nothing.
  return html`<section class="card card-flush" data-testid="kb-top" style=${{ flex: 'none' }}>
    <div class="card-bar">
      <h2 class="card-title-lg">真实流量 Top 10</h2>
      <span class="muted small">FAQ 命中次数 + 客服给进行中会话打的标签</span>
      <div class="spacer"></div>
      <button type="button" class="btn btn-primary btn-sm" data-testid="kb-top-adopt" disabled=${busy || same || items.length === 0}
        title=${same ? '菜单已经是这个顺序' : '把右边的顺序写进条目文件的 menu 字段'} onClick=${adopt}>
        ${busy ? '正在采用…' : same ? '菜单已是此顺序' : '采用此顺序'}</button>
    </div>
    ${top === null
      ? html`<div class="card-help muted small" style=${{ paddingBottom: '12px' }}>${loaded ? '暂时无法获取流量排行' : '加载中…'}</div>`
      : html`<div style=${{ display: 'grid', gridTemplateColumns: 'repeat(2, minmax(0, 1fr))', gap: '16px', padding: '12px 16px 14px' }}>
        <div>
          <div class="muted small" style=${{ marginBottom: '6px' }}>当前菜单（编辑设置的顺序）</div>
          ${menu.length === 0 ? html`<div class="muted small">还没有条目设置 menu</div>` : null}
          <ol style=${col} data-testid="kb-menu-current">
            ${menu.map((m) => html`<li key=${m.id} data-testid="kb-menu-item" data-faq-id=${m.id} style=${{ padding: '2px 0' }}>
              <span class="entry-q">${m.question}</span> <span class="muted small">${m.hits} 次</span></li>`)}
          </ol>
        </div>
        <div>
          <div class="muted small" style=${{ marginBottom: '6px' }}>按真实流量</div>
          <ol style=${col} data-testid="kb-top-list">
            ${items.map((t) => html`<li key=${t.id} data-testid="kb-top-item" data-faq-id=${t.id} data-rank=${t.rank} style=${{ padding: '2px 0' }}>
              <span class="entry-q">${t.question}</span>
              <span class="muted small"> ${t.hits} 次${t.tagged ? ` · 标签 ${t.tagged}` : ''}</span>
              ${t.menu === t.rank ? null : html` <span class="chip chip-xs ${t.menu === null ? 'chip-warn' : 'chip-reason'}">${t.menu === null ? '新进菜单' : `原第 ${t.menu} 位`}</span>`}
            </li>`)}
          </ol>
        </div>
      </div>`}
  </section>`;
}
