/** The page title badge and the optional "new chat" beep. */

const SOUND_KEY = 'kefu.sound';
const BASE_TITLE = '客服工作台';

let audio = null;

export const soundEnabled = () => localStorage.getItem(SOUND_KEY) === 'on';

export function setSoundEnabled(on) {
  localStorage.setItem(SOUND_KEY, on ? 'on' : 'off');
  // Browsers only let audio start from a user gesture: the toggle click is one, so warm up here.
  if (on) {
    ensureAudio();
    beep();
  }
}

function ensureAudio() {
  const Ctx = window.AudioContext ?? window.webkitAudioContext;
  // Before any click on the page the browser would refuse (and warn): stay silent until then.
  if (!Ctx || (!audio && navigator.userActivation && !navigator.userActivation.hasBeenActive)) return null;
  if (!audio) {
    try {
      audio = new Ctx();
    } catch {
      return null;
    }
  }
  if (audio.state === 'suspended') audio.resume().catch(() => undefined);
  return audio;
}

/** Two short soft tones, generated: no audio file to ship. */
export function beep() {
  const ctx = ensureAudio();
  if (!ctx) return;
  const t0 = ctx.currentTime;
  [880, 1320].forEach((freq, i) => {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = 'sine';
    osc.frequency.value = freq;
    const start = t0 + i * 0.16;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.18, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.14);
    osc.connect(gain).connect(ctx.destination);
    osc.start(start);
    osc.stop(start + 0.15);
  });
}

let titleCount = 0;
/** A customer joined the queue while this tab was out of sight: said in the title until it is looked at. */
let newWaiting = false;

function renderTitle() {
  document.title = `${titleCount > 0 ? `(${titleCount}) ` : ''}${newWaiting ? '新客户排队 · ' : ''}${BASE_TITLE}`;
}

/** Unread customer messages in my chats, in the title. */
export function setTitleCount(n) {
  titleCount = n;
  renderTitle();
}

/** A new customer is waiting and nobody is looking at this tab (attention.js): the title says so until it is visible again. */
export function markNewWaiting() {
  newWaiting = true;
  renderTitle();
}

const seen = () => {
  if (!newWaiting || document.visibilityState !== 'visible') return;
  newWaiting = false;
  renderTitle();
};
document.addEventListener('visibilitychange', seen);
window.addEventListener('focus', seen);
