/** npm run docs:api — rewrites docs/http-api.md from the console's route declarations. */
import { readFileSync, writeFileSync } from 'node:fs';
import { API_ROUTE_GROUPS, apiReference } from '../src/console/index.ts';

const file = new URL('../docs/http-api.md', import.meta.url);
const before = (() => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
})();
const after = apiReference(API_ROUTE_GROUPS);
if (after !== before) writeFileSync(file, after);
process.stdout.write(after === before ? 'docs/http-api.md is up to date\n' : 'docs/http-api.md rewritten\n');
