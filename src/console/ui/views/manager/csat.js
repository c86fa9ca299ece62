/** 满意度: the range's ratings by category, then channel, then conversation, the worst first. */
import { html, useMemo, useState } from '/vendor/preact-htm.js';
import { Icon } from '../../components/icons.js';
import { Spinner } from '../../components/spinner.js';
import { convHref, when } from '../../format.js';
import { categoryLabel, score1, tone, worstFirst } from './numbers.js';

function ScoreChip({ score }) {
  return html`<span class=${`dash-score dash-score-${tone(score)}`}>${score} 分</span>`;
}

function Distribution({ csat }) {
  const counts = csat.total.scores ?? [0, 0, 0, 0, 0];
  const max = Math.max(1, ...counts);
  return html`<div class="csat-dist" aria-label="评分分布">
    ${[5, 4, 3, 2, 1].map(
      (s) => html`<div class="csat-dist-row" key=${s}>
        <span class="csat-dist-label">${s} 分</span>
        <span class="dash-bar-track" aria-hidden="true"><span class=${`dash-bar-fill dist-${tone(s)}`} style=${{ width: `${Math.round((counts[s - 1] / max) * 100)}%` }}></span></span>
        <span class="csat-dist-n">${counts[s - 1]}</span>
      </div>`,
    )}
  </div>`;
}

export function CsatCard({ csat, agents, fresh }) {
  const [openCat, setOpenCat] = useState(null);
  const [openChannel, setOpenChannel] = useState(null);
  const names = useMemo(() => new Map((agents ?? []).map((a) => [a.id, a.name])), [agents]);
  const total = csat?.total;
  return html`<section class="card dash-card dash-csat">
    <div class="dash-card-head">
      <h2 class="card-title-lg"><${Icon} name="check" size=${17} />满意度</h2>
      <span class="muted small">按分类 → 渠道 → 会话，最差的在前</span>
    </div>
    ${!csat
      ? html`<div class="dash-loading"><${Spinner} /></div>`
      : html`<div class="csat-top">
            <div class="csat-total" data-testid="csat-total" data-count=${total.count} data-average=${total.average} data-low=${total.low}>
              <div class=${`csat-avg${total.count ? ` dash-tone-${tone(total.average)}` : ''}`}>${total.count ? score1(total.average) : '—'}<span class="csat-unit">${total.count ? ' 分' : ''}</span></div>
              <div class="muted small">${total.count} 份评价 · 满分 5 分</div>
              ${total.low ? html`<div class="csat-low-total">差评（1-2 分）${total.low} 份</div>` : html`<div class="muted small">没有差评</div>`}
            </div>
            ${total.count ? html`<${Distribution} csat=${csat} />` : null}
          </div>
          ${csat.categories.length === 0
            ? html`<div class="dash-empty muted">这段时间还没有客户评价</div>`
            : html`<ul class="csat-cats">
                ${csat.categories.map((c) => {
                  const open = openCat === c.category;
                  const hasFresh = c.channels.some((ch) => ch.conversations.some((x) => fresh.has(x.id)));
                  return html`<li key=${c.category} class=${`csat-cat${open ? ' is-open' : ''}`}>
                    <button type="button" class="csat-row" data-testid="csat-category" data-category=${c.category} aria-expanded=${open}
                      onClick=${() => {
                        setOpenCat(open ? null : c.category);
                        setOpenChannel(null);
                      }}>
                      <span class="csat-caret" aria-hidden="true">${open ? '▾' : '▸'}</span>
                      <span class="csat-name">${categoryLabel(c.category, c.label)}${hasFresh ? html`<span class="dash-fresh-dot" title="刚收到差评"></span>` : null}</span>
                      <span class=${`csat-score dash-tone-${tone(c.average)}`}>${score1(c.average)}</span>
                      <span class="csat-count muted">${c.count} 份</span>
                      <span class=${`csat-low${c.low ? ' has-low' : ''}`}>${c.low ? `差评 ${c.low}` : '无差评'}</span>
                    </button>
                    ${open
                      ? html`<ul class="csat-channels">
                          ${[...c.channels].sort(worstFirst).map((ch) => {
                            const chKey = `${c.category}|${ch.channel}`;
                            const chOpen = openChannel === chKey;
                            return html`<li key=${ch.channel} class=${`csat-ch${chOpen ? ' is-open' : ''}`}>
                              <button type="button" class="csat-row csat-row-ch" data-testid="csat-channel" data-channel=${ch.channel} aria-expanded=${chOpen}
                                onClick=${() => setOpenChannel(chOpen ? null : chKey)}>
                                <span class="csat-caret" aria-hidden="true">${chOpen ? '▾' : '▸'}</span>
                                <span class="csat-name"><${Icon} name="bot" size=${14} /><code>${ch.channel}</code></span>
                                <span class=${`csat-score dash-tone-${tone(ch.average)}`}>${score1(ch.average)}</span>
                                <span class="csat-count muted">${ch.count} 份</span>
                                <span class=${`csat-low${ch.low ? ' has-low' : ''}`}>${ch.low ? `差评 ${ch.low}` : '无差评'}</span>
                              </button>
                              ${chOpen
                                ? html`<ul class="csat-convs">
                                    ${[...ch.conversations]
                                      .sort((a, b) => a.score - b.score || (a.at < b.at ? 1 : -1))
                                      .map((x) => {
                                        const low = x.score <= 2;
                                        return html`<li key=${`${x.id}-${x.at}`}>
                                          <a class=${`csat-conv${low ? ' is-low' : ''}${fresh.has(x.id) ? ' is-fresh' : ''}`} href=${convHref(x.id)}
                                            data-testid="csat-conv" data-conv-id=${x.id} data-score=${x.score}>
                                            <${ScoreChip} score=${x.score} />
                                            <span class="csat-conv-id">${x.id.slice(ch.channel.length + 1) || x.id}</span>
                                            ${fresh.has(x.id) ? html`<span class="dash-fresh-tag">新</span>` : null}
                                            <span class="muted small csat-conv-agent">${x.agentId ? `客服 ${names.get(x.agentId) ?? x.agentId}` : '未经人工'}</span>
                                            <span class="muted small csat-conv-at">${when(x.at)}</span>
                                            <span class="csat-conv-go" aria-hidden="true">查看 ›</span>
                                          </a>
                                        </li>`;
                                      })}
                                    ${ch.more ? html`<li class="muted small csat-more" data-testid="csat-more">另有 ${ch.more} 条评价未列出（只列最差、最新的 ${ch.conversations.length} 条）</li>` : null}
                                  </ul>`
                                : null}
                            </li>`;
                          })}
                        </ul>`
                      : null}
                  </li>`;
                })}
              </ul>`}`}
  </section>`;
}
