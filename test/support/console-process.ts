/**
 * The product's console as a child process, for tests that SIGKILL it for real (test/fault.test.ts):
 * started through ./processes.ts `ScriptProcess` as `node --import tsx test/support/console-process.ts`.
 * The composition root (startKefu) with the console role only, configured from the environment
 * (REDIS_URL, REDIS_PREFIX, HOST, PORT=0, KEFU_ADMIN_PASSWORD, KB_DIR, ...).
 *
 * stdout: one JSON line {"event":"listening","url","pid"} once it serves. Logs go to stderr.
 * stdin: a pipe from the test; the process exits when it closes.
 */
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { startKefu } from '../../src/main.ts';

// stdin is a pipe from the test: when it closes, the test process is gone (however it died), and so is this one.
process.stdin.on('end', () => process.exit(1));
process.stdin.on('error', () => process.exit(1));
process.stdin.resume();

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger({ level: config.log.level, pretty: false, fd: 2 });
  const kefu = await startKefu(config, { roles: ['console'], logger });
  process.stdout.write(`${JSON.stringify({ event: 'listening', url: kefu.console!.url, pid: process.pid })}\n`);
  process.once('SIGTERM', () => {
    kefu.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`console process failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
