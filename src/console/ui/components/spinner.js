import { html } from '/vendor/preact-htm.js';

/** Something is loading. */
export const Spinner = () => html`<div class="spinner" aria-label="加载中"></div>`;
