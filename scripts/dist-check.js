/**
 * Runs before `npm start`, `npm run bot`, `npm run console` and `npm run kefu` (plain JavaScript:
 * it must work before anything is built). They run the compiled dist/, so this stops them with a
 * clear message when dist/ is missing, or when a file in src/ changed after the last
 * `npm run build` (dist/build-info.json), rather than let a deploy run yesterday's code.
 * Without src/ (a deployment that ships dist/ alone) only the first check applies.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';

const root = path.resolve(import.meta.dirname, '..');
const src = path.join(root, 'src');
const fail = (message) => {
  process.stderr.write(`${message}\n`);
  process.exit(1);
};

let builtAt;
try {
  builtAt = Date.parse(JSON.parse(readFileSync(path.join(root, 'dist', 'build-info.json'), 'utf8')).builtAt);
} catch {
  // (the next check says so)
}
if (!Number.isFinite(builtAt)) fail('dist/ is missing or incomplete: run `npm run build` first (it compiles src/ to dist/, which npm start runs).');

/** The first file under dir changed after the build, or undefined. */
function newer(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    const found = entry.isDirectory() ? newer(file) : statSync(file).mtimeMs > builtAt ? file : undefined;
    if (found) return found;
  }
  return undefined;
}

let changed;
try {
  changed = newer(src);
} catch (err) {
  if (err.code !== 'ENOENT') throw err;
}
if (changed) fail(`dist/ is older than src/ (${path.relative(root, changed)} changed since the last build): run \`npm run build\`.`);
