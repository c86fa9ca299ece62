import { html } from '/vendor/preact-htm.js';
import { Icon } from './icons.js';

/** A search field with its icon; `className` adds to the box's class. */
export function SearchBox({ className = '', inputRef, testid, placeholder, label, value, onInput }) {
  return html`<div class=${`search${className ? ` ${className}` : ''}`}><${Icon} name="search" size=${14} />
    <input class="input input-sm" ref=${inputRef} data-testid=${testid} placeholder=${placeholder} aria-label=${label}
      value=${value} onInput=${(e) => onInput(e.currentTarget.value)} /></div>`;
}
