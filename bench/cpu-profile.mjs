// Preloaded into a benchmark's child processes (NODE_OPTIONS=--import <this file>, with
// CPU_PROFILE_DIR set): a V8 CPU profile of the whole run, written when the process exits.
// `node --cpu-prof` would do the same, but Node refuses it in NODE_OPTIONS.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';
import process from 'node:process';

const dir = process.env.CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  // A session on this thread answers synchronously: the profile is written before the exit.
  process.once('exit', () => {
    session.post('Profiler.stop', (err, res) => {
      if (!err) writeFileSync(path.join(dir, `${path.basename(process.argv[1] ?? 'node')}-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
