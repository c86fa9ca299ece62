/**
 * 自动标签 on the 数据 page: per tag, how many conversations carry it and how good its suggestions and
 * auto-apply are, measured on past conversations the model did not learn from; a tag is applied by
 * itself only at 90% or better. Managers retrain, and switch auto-apply off (and back) per tag or for all.
 */
import { html, useEffect, useState } from '/vendor/preact-htm.js';
import { get, post } from '../api.js';
import { when } from '../format.js';
import { toastError } from '../toast.js';

const pct = (x) => (x === null || x === undefined ? '—' : `${Math.round(x * 100)}%`);

export function TagQualityCard() {
  const [t, setT] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    get('/api/tagging').then(setT, () => setT(null));
  }, []);
  const run = async (fn, action) => {
    setBusy(true);
    try {
      setT(await fn());
    } catch (err) {
      toastError(err, action, { 409: '另一个控制台正在训练，稍后刷新即可看到结果' });
    } finally {
      setBusy(false);
    }
  };
  const retrain = () => run(() => post('/api/tagging/retrain'), '重新训练失败');
  const toggle = (body) => run(() => post('/api/tagging/auto', body), '修改自动标签失败');
  if (!t) return null;
  return html`<section class="card dash-card" data-testid="tag-quality">
    <div class="dash-card-head">
      <h2 class="card-title-lg">自动标签</h2>
      <button type="button" class="btn btn-sm" data-testid="tag-retrain" disabled=${busy} onClick=${retrain}>重新训练</button>
    </div>
    <p class="muted small">
      ${t.trainedAt ? `按 ${t.history} 个已打标签的历史会话训练（${when(t.trainedAt)}）；` : '还没有模型：客服打过标签后会自动训练。'}
      准确率、召回率都在模型没见过的会话上测得；准确率达到 ${Math.round(t.bar * 100)}% 的标签才会自动添加。
    </p>
    ${t.items.length
      ? html`<div class="svc-table-wrap"><table class="svc-table">
          <thead><tr><th scope="col">标签</th><th scope="col">会话</th><th scope="col">建议准确率</th><th scope="col">建议召回率</th>
            <th scope="col">自动准确率</th><th scope="col">被采纳</th><th scope="col">自动添加</th></tr></thead>
          <tbody>${t.items.map(
            (q) => html`<tr key=${q.tag} data-testid="tag-quality-row" data-tag=${q.tag} data-auto=${q.autoApply ? 'on' : 'off'}>
              <th scope="row">${q.tag}</th><td>${q.examples}</td><td>${pct(q.suggest.precision)}</td><td>${pct(q.suggest.recall)}</td>
              <td title=${`${q.auto.correct}/${q.auto.predicted}`}>${pct(q.auto.precision)}</td><td>${q.accepted}</td>
              <td>${q.autoEligible
                ? html`<button type="button" class="btn btn-sm" disabled=${busy || !t.auto} data-testid="tag-auto-toggle"
                    onClick=${() => toggle(q.off ? { tag: q.tag, enabled: true } : { tag: q.tag, enabled: false, undo: true })}
                    title=${q.off ? '恢复自动添加' : '停止自动添加，并移除它自动加上的标签'}>${q.off ? '已停用' : '开启中'}</button>`
                : html`<span class="muted small">未达标</span>`}</td>
            </tr>`,
          )}</tbody>
        </table></div>`
      : null}
    <label class="small"><input type="checkbox" checked=${t.auto} disabled=${busy} data-testid="tag-auto-all"
      onChange=${(e) => toggle({ enabled: e.currentTarget.checked })} /> 允许自动添加标签</label>
  </section>`;
}
