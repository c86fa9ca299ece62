/** A customer's image, voice note or file in the transcript, fetched with the agent's token. */
import { html, useEffect, useState } from '/vendor/preact-htm.js';
import { blobUrl } from '../api.js';

export function Media({ url, kind }) {
  const [src, setSrc] = useState(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let gone = false;
    let made = null;
    blobUrl(url).then(
      (u) => {
        made = u;
        if (gone) URL.revokeObjectURL(u);
        else setSrc(u);
      },
      () => !gone && setFailed(true),
    );
    return () => {
      gone = true;
      if (made) URL.revokeObjectURL(made);
    };
  }, [url]);
  if (failed) return html`<div class="media-gone muted" data-testid="msg-media">文件已过期或无法读取</div>`;
  if (!src) return html`<div class="media-loading muted" data-testid="msg-media">加载中…</div>`;
  if (kind === 'image') return html`<a href=${src} target="_blank" rel="noopener"><img class="media-img" src=${src} alt="客户发送的图片" data-testid="msg-media" /></a>`;
  if (kind === 'voice') return html`<audio class="media-audio" controls src=${src} data-testid="msg-media"></audio>`;
  return html`<a class="media-file" href=${src} download data-testid="msg-media">下载文件</a>`;
}
