import { createServer } from 'node:net';
import { KefuError } from './errors.ts';

/**
 * Fails before anything is started when the HTTP port is taken (most often: kefu-bridge is already
 * running). Checked first because starting the bot role registers its account in Redis: a second
 * process that logs in and then dies on EADDRINUSE would announce the account stopped while the
 * first process still serves it. Port 0 (any free port) needs no check.
 */
export async function ensurePortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(new KefuError('PORT_IN_USE', `port ${port} on ${host} is already in use (is kefu-bridge already running?): stop it, or set PORT to a free port`));
      } else if (err.code === 'EACCES') {
        reject(new KefuError('PORT_IN_USE', `port ${port} on ${host} may not be opened by this user (ports below 1024 need privileges): set PORT to another port`));
      } else reject(err);
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
