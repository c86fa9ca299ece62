import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, loadConfig } from '../src/config.ts';
import { configTable, TABLE_END, TABLE_START, withConfigTable } from '../src/config-docs.ts';

describe('the README configuration table', () => {
  it('is what `npm run docs:config` generates from the schema (run it after changing a variable)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(withConfigTable(readme)).toBe(readme);
  });

  it('has one row per variable of the schema, with the schema\'s defaults', () => {
    const rows = configTable().split('\n').slice(2);
    expect(rows.map((r) => /^\| `(\w+)`/.exec(r)?.[1])).toEqual(CONFIG_VARIABLES);
    const config = loadConfig({});
    expect(rows.find((r) => r.startsWith('| `PORT`'))).toContain(`\`${config.http.port}\``);
    expect(rows.find((r) => r.startsWith('| `SLA_WARN_AT`'))).toContain(`\`${config.sla.warnAt}\``);
    expect(rows.find((r) => r.startsWith('| `BUSINESS_DAYS`'))).toContain('`1,2,3,4,5`');
  });

  it('refuses a README without the markers', () => {
    expect(() => withConfigTable('# no table')).toThrow(TABLE_START);
    expect(withConfigTable(`a\n${TABLE_START}\nold\n${TABLE_END}\nb`)).toBe(`a\n${TABLE_START}\n${configTable()}\n${TABLE_END}\nb`);
  });
});
