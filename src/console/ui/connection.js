/**
 * Whether this tab reaches the service. The shell's banner "连接中断，正在重连…" shows while API calls
 * cannot be served (the server cannot reach its database: 503 REDIS_UNAVAILABLE; no network; a
 * proxy without a backend) or while the live socket is down after having been up. While it shows,
 * the API is asked every few seconds; the first answer clears it, reconnects the live socket at
 * once and has every view reload what it shows (the `resync` they already follow). A visible tab
 * that has not heard from the API for a while asks too, so an outage shows up without a click.
 */
import { get, onReachability } from './api.js';
import { live } from './live.js';
import { createStore } from './store.js';

/** How often the API is asked while the banner shows. */
const PROBE_MS = 2_000;
/** A live socket back within this long (a console restart, a balancer hop) shows no banner. */
const LIVE_GRACE_MS = 2_000;
/** A visible tab with no API answer for this long asks itself. */
const QUIET_MS = 15_000;
const PROBE_PATH = '/api/auth/me';

export const connection = createStore({ down: false });

let running = false;
let apiDown = false;
let liveDown = false;
let liveWasUp = false;
let lastHeard = 0;
let probing = false;
let graceTimer = null;
let probeTimer = null;
let quietTimer = null;
let offs = [];

function update() {
  const down = running && (apiDown || liveDown);
  if (connection.get().down !== down) connection.set({ down });
  if (down && !probeTimer && !probing) probeTimer = setTimeout(probe, PROBE_MS);
}

async function probe() {
  probeTimer = null;
  if (!running || probing) return;
  probing = true;
  try {
    await get(PROBE_PATH);
  } catch {
    // Reported through onReachability; a 401 ends the session as any call does.
  } finally {
    probing = false;
  }
  // The API answers but the socket is still waiting out its backoff: no need to.
  if (running && !apiDown && liveDown) live.reconnectNow();
  update();
}

function onApi(ok) {
  if (!running) return;
  lastHeard = Date.now();
  if (!ok) apiDown = true;
  else if (apiDown) {
    apiDown = false;
    live.reconnectNow();
    // What failed to load during the outage is loaded again.
    live.emit('resync');
  }
  update();
}

function onLive(state) {
  if (!running) return;
  clearTimeout(graceTimer);
  if (state === 'online') {
    liveWasUp = true;
    liveDown = false;
  } else if (liveWasUp && !liveDown) {
    graceTimer = setTimeout(() => {
      liveDown = true;
      update();
    }, LIVE_GRACE_MS);
    return;
  }
  update();
}

function onQuiet() {
  if (running && !document.hidden && !connection.get().down && Date.now() - lastHeard >= QUIET_MS) probe();
}

/** Follows this tab's API calls and live socket (the shell, once signed in). */
export function startConnection() {
  stopConnection();
  running = true;
  lastHeard = Date.now();
  liveWasUp = live.state === 'online';
  offs = [onReachability(onApi), live.on('state', onLive)];
  quietTimer = setInterval(onQuiet, QUIET_MS / 3);
}

export function stopConnection() {
  running = false;
  for (const off of offs) off();
  offs = [];
  clearTimeout(graceTimer);
  clearTimeout(probeTimer);
  clearInterval(quietTimer);
  probeTimer = null;
  apiDown = false;
  liveDown = false;
  liveWasUp = false;
  update();
}
