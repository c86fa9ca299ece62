/**
 * npm run build — compiles src/ to JavaScript in dist/ (tsconfig.build.json) and copies what the
 * code reads next to itself at run time (Lua scripts, the web UI, the engine's lexicon and
 * calibration): every file of src/ that is not TypeScript. `npm start` then runs plain `node`.
 *
 *   npm run build                                # type-checks, then writes dist/
 *   npm run build -- --out-dir DIR --no-check    # elsewhere; skip the type check (lint does it)
 *
 * The new tree is written beside the old one and swapped in with renames, so a console serving
 * from dist/ never finds its UI or a Lua script missing halfway through a rebuild. The tree
 * imports its packages from the project's node_modules: DIR must sit inside the project or have
 * a node_modules next to it.
 *
 * dist/build-info.json records when the build started; scripts/dist-check.js (run before
 * `npm start`) compares src/ with it.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(import.meta.dirname, '..');
const SRC = path.join(ROOT, 'src');

const { values } = parseArgs({
  options: { 'out-dir': { type: 'string', default: 'dist' }, 'no-check': { type: 'boolean', default: false } },
});
const out = path.resolve(ROOT, values['out-dir']);
const within = (dir: string, parent: string): boolean => dir === parent || dir.startsWith(parent + path.sep);
// rm -rf on the output: never the project, its sources, or anything holding them.
if (within(SRC, out) || within(out, SRC) || within(out, path.join(ROOT, 'node_modules'))) {
  process.stderr.write(`build: refusing to write to ${out}\n`);
  process.exit(2);
}

// Taken before the compiler reads anything: a source saved during the build counts as newer.
const builtAt = new Date();
const staging = `${out}.building-${process.pid}`;
mkdirSync(path.dirname(staging), { recursive: true });
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};
// What an interrupted build left beside the output (not a build still running).
for (const name of readdirSync(path.dirname(out))) {
  const m = /^\.(?:building|old)-(\d+)$/.exec(name.slice(path.basename(out).length));
  if (m && name.startsWith(path.basename(out)) && !alive(Number(m[1]))) rmSync(path.join(path.dirname(out), name), { recursive: true, force: true });
}
rmSync(staging, { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const args = [tsc, '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', staging, ...(values['no-check'] ? ['--noCheck'] : [])];
const compiled = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
if (compiled.status !== 0) {
  rmSync(staging, { recursive: true, force: true });
  process.stderr.write(`build: tsc failed (exit ${String(compiled.status ?? compiled.signal)}); ${path.relative(ROOT, out) || out} left as it was\n`);
  process.exit(1);
}

// Everything else in src/ is read at run time relative to import.meta.url (see the header).
cpSync(SRC, staging, { recursive: true, filter: (from) => !from.endsWith('.ts') });
const info = { builtAt: builtAt.toISOString(), node: process.version, checked: !values['no-check'] };
writeFileSync(path.join(staging, 'build-info.json'), `${JSON.stringify(info, null, 2)}\n`);

const old = `${out}.old-${process.pid}`;
if (existsSync(out)) renameSync(out, old);
renameSync(staging, out);
rmSync(old, { recursive: true, force: true });
process.stdout.write(`build: ${path.relative(ROOT, out) || out} written${values['no-check'] ? ' (not type-checked)' : ''}\n`);
