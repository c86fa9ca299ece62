import { html } from '/vendor/preact-htm.js';

/** Line icons (24x24, stroke = currentColor), inline SVG: no icon font or image to load. */
const PATHS = {
  chat: 'M4 5h16v11H8l-4 4z M8 9h8 M8 12h5',
  book: 'M5 4h9a4 4 0 0 1 4 4v12H9a4 4 0 0 1-4-4z M5 16a4 4 0 0 1 4-4h9',
  chart: 'M4 20V10 M10 20V4 M16 20v-7 M21 20H3',
  logout: 'M15 4h4v16h-4 M10 8l-4 4 4 4 M6 12h10',
  bell: 'M6 16V11a6 6 0 0 1 12 0v5l2 2H4z M10 21h4',
  bellOff: 'M6 16V11a6 6 0 0 1 9-5.2 M18 11v5l2 2H8 M10 21h4 M3 3l18 18',
  send: 'M4 12l16-8-6 16-3-7z M11 13l9-9',
  lock: 'M6 11h12v9H6z M9 11V8a3 3 0 0 1 6 0v3',
  tag: 'M3 12V4h8l9 9-8 8z M7.5 8.5h.01',
  user: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8z M4 21a8 8 0 0 1 16 0',
  swap: 'M4 8h14l-3-3 M20 16H6l3 3',
  check: 'M5 12l5 5 9-10',
  undo: 'M9 14L4 9l5-5 M4 9h10a6 6 0 0 1 0 12h-3',
  eye: 'M2 12s4-7 10-7 10 7 10 7-4 7-10 7S2 12 2 12z M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6z',
  bot: 'M5 9h14v10H5z M12 5v4 M9 14h.01 M15 14h.01 M12 3h.01',
  alert: 'M12 3l10 18H2z M12 10v5 M12 18h.01',
  inbox: 'M3 13l3-8h12l3 8v6H3z M3 13h5l1 3h6l1-3h5',
  clock: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z M12 7v5l3 2',
  users: 'M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8z M2 21a7 7 0 0 1 14 0 M16 3.5a4 4 0 0 1 0 7.5 M22 21a7 7 0 0 0-4-6.3',
  search: 'M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14z M21 21l-5-5',
  flag: 'M5 21V4 M5 4h12l-2.5 4.5L17 13H5',
  wrench: 'M14 6a4 4 0 0 0 5 5l-8 8a2 2 0 0 1-3-3l8-8a4 4 0 0 1-2-2z',
  phone: 'M8 2.5h8a2 2 0 0 1 2 2v15a2 2 0 0 1-2 2H8a2 2 0 0 1-2-2v-15a2 2 0 0 1 2-2z M11 18.5h2',
  plus: 'M12 5v14 M5 12h14',
  chevronLeft: 'M15 5l-7 7 7 7',
  more: 'M5 12h.01 M12 12h.01 M19 12h.01',
  back: 'M15 5l-7 7 7 7',
  qr: 'M4 4h6v6H4z M14 4h6v6h-6z M4 14h6v6H4z M14 14h2.5v2.5H14z M19.5 14h.5 M14 19.5v.5 M17.5 17.5h2.5v2.5h-2.5z M7 7h.01 M17 7h.01 M7 17h.01',
  refresh: 'M20 11a8 8 0 0 0-14.6-4.5 M4 3v4h4 M4 13a8 8 0 0 0 14.6 4.5 M20 21v-4h-4',
};

export function Icon({ name, size = 18, cls = '' }) {
  return html`<svg class=${`icon ${cls}`} width=${size} height=${size} viewBox="0 0 24 24" fill="none"
    stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
    <path d=${PATHS[name] ?? ''} />
  </svg>`;
}
