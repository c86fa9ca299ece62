/** npm run docs:config — rewrites the configuration table of README.md from the schema. */
import { readFileSync, writeFileSync } from 'node:fs';
import { withConfigTable } from '../src/config-docs.ts';

const file = new URL('../README.md', import.meta.url);
const before = readFileSync(file, 'utf8');
const after = withConfigTable(before);
if (after !== before) writeFileSync(file, after);
process.stdout.write(after === before ? 'README.md: configuration table is up to date\n' : 'README.md: configuration table rewritten\n');
