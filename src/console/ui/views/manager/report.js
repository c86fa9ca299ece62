/** 下载反馈报告: the range's report, as Markdown or one CSV at a time. */
import { html, useState } from '/vendor/preact-htm.js';
import { ApiError, clearSession, session } from '../../api.js';
import { toastError } from '../../toast.js';
import { rangeText } from './range.js';

const CSV_FILES = [
  { file: 'daily.csv', label: '每日数据' },
  { file: 'top-issues.csv', label: '热门问题' },
  { file: 'problems.csv', label: '已知问题' },
  { file: 'csat.csv', label: '满意度' },
  { file: 'unanswered.csv', label: '未解答问题' },
];

/** The report routes need the bearer token, so no plain link: fetch, then a Blob URL to save. */
async function download(from, to, file) {
  const qs = new URLSearchParams({ from, to });
  if (file) qs.set('file', file);
  let res;
  try {
    res = await fetch(`/api/report?${qs}`, { headers: { authorization: `Bearer ${session.token}` } });
  } catch {
    throw new ApiError(0, 'NETWORK', 'network error');
  }
  if (res.status === 401) clearSession();
  if (!res.ok) {
    const data = await res.json().catch(() => null);
    throw new ApiError(res.status, data?.error?.code ?? `HTTP_${res.status}`, data?.error?.message ?? res.statusText);
  }
  const blob = await res.blob();
  const named = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1];
  const name = named ?? `report-${from}_${to}${file ? `-${file}` : '.md'}`;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

const DownloadIcon = () => html`<svg class="icon" width="15" height="15" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8"
  stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M12 4v11 M7 10l5 5 5-5 M5 20h14" /></svg>`;

export function ReportCard({ range }) {
  const [busy, setBusy] = useState('');
  async function save(file) {
    setBusy(file || 'md');
    try {
      // The browser shows the file it saved: no toast on top of that.
      await download(range.from, range.to, file);
    } catch (err) {
      toastError(err, '下载失败', { 503: '控制台没有加载知识库，无法生成报告' });
    } finally {
      setBusy('');
    }
  }
  return html`<section class="card dash-card dash-report">
    <div class="dash-card-head">
      <h2 class="card-title-lg"><${DownloadIcon} />下载反馈报告</h2>
      <span class="muted small">${rangeText(range.from, range.to)}</span>
    </div>
    <p class="muted small dash-report-help">热门问题及趋势、已知问题影响的客户、满意度、机器人没答上的问题（已去除客户姓名）。</p>
    <button type="button" class="btn btn-primary dash-report-md" data-testid="report-md" disabled=${Boolean(busy)} onClick=${() => save('')}>
      ${busy === 'md' ? html`<span class="dash-spin dash-spin-light" aria-hidden="true"></span>` : html`<${DownloadIcon} />`}完整报告（Markdown）
    </button>
    <div class="dash-csvs">
      ${CSV_FILES.map(
        (f) => html`<button type="button" key=${f.file} class="btn btn-sm" data-testid="report-csv" data-file=${f.file} disabled=${Boolean(busy)}
            title=${f.file} onClick=${() => save(f.file)}>${busy === f.file ? html`<span class="dash-spin" aria-hidden="true"></span>` : null}${f.label}<span class="dash-csv-ext">CSV</span></button>`,
      )}
    </div>
  </section>`;
}
