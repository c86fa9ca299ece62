/**
 * BENCH_PROFILE=file.cpuprofile: a CPU profile of the measured part of a benchmark (open it in
 * Chrome DevTools). Returns the function that stops it and writes the file.
 */
import { writeFileSync } from 'node:fs';

export async function profile(file: string | undefined): Promise<() => Promise<void>> {
  if (!file) return async () => undefined;
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile: p } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(p));
    session.disconnect();
    console.log(`profile written to ${file}`);
  };
}
