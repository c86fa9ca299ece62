/**
 * docs/http-api.md, generated from the registry (`npm run docs:api`): a table per resource, the
 * shapes the answers share and the error codes. Field lists come from the JSON Schema of the zod
 * schemas the routes parse, so a changed limit or a new field shows up here by itself.
 */
import { openApiDocument, openApiPath, type JsonSchema } from './openapi.ts';
import { ERROR_CODES, type RouteDoc, type RouteGroup } from './registry.ts';

export const API_DOC_FILE = 'docs/http-api.md';

const WHO: Record<RouteDoc['access'], string> = {
  public: 'anyone',
  'signed-in': 'signed in',
  agent: 'agent',
  editor: 'editor',
  manager: 'manager',
  admin: 'admin',
};

const code = (s: unknown): string => `\`${String(s)}\``;
/** A table cell: pipes escaped, line breaks flattened. */
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n+/g, ' ');

/** A schema in words: `text, 1-64 characters`, `integer 1-500, default 100`, `Conversation or null`. */
export function describeSchema(s: JsonSchema): string {
  if (typeof s.$ref === 'string') return s.$ref.split('/').at(-1)!;
  if (Array.isArray(s.anyOf)) return (s.anyOf as JsonSchema[]).map(describeSchema).join(' or ');
  if (Array.isArray(s.type)) return (s.type as string[]).map((type) => describeSchema({ ...s, type })).join(' or ');
  const parts: string[] = [];
  if (Array.isArray(s.enum)) parts.push((s.enum as unknown[]).map(code).join(' or '));
  else if (s.const !== undefined) parts.push(code(JSON.stringify(s.const)));
  else if (s.type === 'string') {
    parts.push(s.format === 'date-time' ? 'ISO-8601 time' : 'text');
    const [min, max] = [s.minLength as number | undefined, s.maxLength as number | undefined];
    if (min !== undefined && max !== undefined) parts.push(`${min}-${max} characters`);
    else if (max !== undefined) parts.push(`at most ${max} characters`);
    else if (min !== undefined && min > 0) parts.push(`at least ${min} character${min === 1 ? '' : 's'}`);
    if (typeof s.pattern === 'string' && !s.description) parts.push(`matching ${code(s.pattern)}`);
  } else if (s.type === 'integer' || s.type === 'number') {
    const [min, max] = [s.minimum as number | undefined, s.maximum as number | undefined];
    parts.push(`${s.type}${min !== undefined && max !== undefined ? ` ${min}-${max}` : ''}`);
  } else if (s.type === 'boolean') parts.push('true or false');
  else if (s.type === 'null') parts.push('null');
  else if (s.type === 'array') {
    parts.push(`list of ${s.items ? describeSchema(s.items as JsonSchema) : 'values'}`);
    if (s.maxItems !== undefined) parts.push(`at most ${String(s.maxItems)}`);
  } else if (s.type === 'object') {
    const keys = Object.keys((s.properties ?? {}) as object);
    parts.push(keys.length > 0 ? code(`{${keys.map((k) => JSON.stringify(k)).join(',')}}`) : 'object');
  } else parts.push('any');
  if (s.description) parts.push(String(s.description));
  if (s.default !== undefined) parts.push(`default ${code(JSON.stringify(s.default))}`);
  return parts.join(', ');
}

/** `name?: text, 1-64 characters` for each property; `?` marks what may be left out. */
function fields(schema: JsonSchema | undefined, where: string): string[] {
  if (!schema) return [];
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  return Object.entries(properties).map(([name, s]) => `${where} ${code(name + (required.has(name) || where === 'path' ? '' : '?'))}: ${describeSchema(s)}`);
}

interface Operation {
  parameters?: { name: string; in: string; required: boolean; schema: JsonSchema }[];
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
}

function input(op: Operation): string {
  const params = op.parameters ?? [];
  const asObject = (where: string): JsonSchema => ({
    properties: Object.fromEntries(params.filter((p) => p.in === where).map((p) => [p.name, p.schema])),
    required: params.filter((p) => p.in === where && p.required).map((p) => p.name),
  });
  const body = op.requestBody?.content['application/json']?.schema;
  const lines = [...fields(asObject('path'), 'path'), ...fields(asObject('query'), 'query'), ...fields(body, 'body')];
  if (op.requestBody && !op.requestBody.required) lines.push('(the body may be left out)');
  return lines.join('<br>');
}

function groupSection(group: RouteGroup, paths: Record<string, Record<string, unknown>>): string {
  const rows = group.routes.map((r) => {
    const op = paths[openApiPath(r.path)]![r.method.toLowerCase()] as Operation;
    const errors = [...(r.errors ?? [])]
      .sort((a, b) => ERROR_CODES[a].status - ERROR_CODES[b].status)
      .map((c) => `${ERROR_CODES[c].status} ${c}`)
      .join(', ');
    const answer = `${r.ok.status} ${r.ok.description}`;
    return `| ${code(`${r.method} ${r.path}`)} | ${r.core ? 'core' : 'extension'} | ${WHO[r.access]} | ${cell(r.summary)} | ${cell(input(op))} | ${cell(answer)} | ${errors} |`;
  });
  const notes = group.routes
    .filter((r) => r.details || r.only)
    .map((r) => `- ${code(`${r.method} ${r.path}`)}: ${[r.only ? `only in ${r.only}.` : '', r.details ?? ''].filter(Boolean).join(' ')}`);
  return [
    `## ${group.name}`,
    '',
    '| route | contract | who | what | input | success | errors beyond the common ones |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    ...(notes.length > 0 ? ['', ...notes] : []),
  ].join('\n');
}

function shapeSection(name: string, schema: JsonSchema): string {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const rows = Object.entries(properties).map(([field, s]) => {
    const { description, ...type } = s;
    return `| ${code(field + (required.has(field) ? '' : '?'))} | ${cell(describeSchema(type))} | ${s['x-core'] ? 'core' : 'extension'} | ${cell(String(description ?? ''))} |`;
  });
  return [`### ${name}`, '', '| field | type | contract | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

const INTRO = `# The console HTTP API

<!-- Generated by \`npm run docs:api\` from the route declarations in src/console (api-docs/registry.ts);
     do not edit by hand: a test fails when this file and the code disagree. -->

The agents' console (\`--role console\`, default \`http://127.0.0.1:3000\`) serves this API to its
web UI and to integrators' scripts. A running console serves the same description as OpenAPI 3.1 at
\`GET /api/openapi.json\` (any signed-in user).

- **JSON** in and out (\`Content-Type: application/json\`; an empty body counts as \`{}\`; at most 64 KB).
- **Tokens**: \`POST /api/auth/login\` gives one; send it as \`Authorization: Bearer <token>\` on every
  route but login, the probes, \`/metrics\` and the web UI's files. The live WebSocket takes it in its first message instead.
- **Roles**: \`agent\` (conversations), \`editor\` (knowledge base), \`manager\` (stats, everyone's
  conversations; has \`agent\` too), \`admin\` (everything). A route used without its role: 403.
- **Errors** are \`{"error":{"code","message"}}\` with a fitting status (codes below). Beyond those in
  each table, any route may answer the **common ones**: 400 \`BAD_REQUEST\` when it takes input (the
  message names every failing field), 401 \`UNAUTHORIZED\` when it needs a token, 403 \`FORBIDDEN\`
  when it needs a role, and every \`/api\` route 503 \`REDIS_UNAVAILABLE\` with \`Retry-After\` when Redis
  does not answer in time (nothing was done: retry).
- **Caching**: API answers and the probes carry \`Cache-Control: no-store\`.
- **Stability**: routes and fields marked *core* form the stable core of the contract: they are
  never renamed or removed. *Extensions* may grow; clients should ignore fields they do not know.`;

/** The whole of docs/http-api.md. */
export function apiReference(groups: readonly RouteGroup[]): string {
  const doc = openApiDocument(groups);
  const schemas = doc.components.schemas;
  const errorRows = Object.entries(ERROR_CODES).map(([c, e]) => `| ${code(c)} | ${e.status} | ${cell(e.meaning)} |`);
  return [
    INTRO,
    ...groups.map((g) => groupSection(g, doc.paths)),
    '## Shapes',
    'Answers that carry a conversation or a transcript use these shapes.',
    ...['Conversation', 'Message'].map((name) => shapeSection(name, schemas[name]!)),
    '## Error codes',
    ['| code | status | meaning |', '|---|---|---|', ...errorRows].join('\n'),
  ].join('\n\n') + '\n';
}
