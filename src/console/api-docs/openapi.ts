/**
 * The registry as an OpenAPI 3.1 document. Request and response schemas are zod v4's JSON Schema
 * (draft 2020-12, the dialect OpenAPI 3.1 uses) of the very schemas the handlers parse: request
 * shapes as the client sends them (`io: "input"`: a field with a default is optional), answers as
 * the server writes them. Named schemas (`.meta({ id })`) become components.
 */
import { z } from 'zod';
import { ERROR_CODES, routeErrors, type ErrorCode, type RouteDoc, type RouteGroup } from './registry.ts';

/** The contract's version: its stable core is v1; routes and fields beyond it are extensions. */
export const API_VERSION = '1';

export type JsonSchema = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  tags: { name: string }[];
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, unknown> };
}

/** Collects named schemas into `components.schemas` and points the references there. */
class Components {
  readonly schemas: Record<string, JsonSchema> = {};

  schema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
    const { $schema: _dialect, $defs, ...rest } = json;
    for (const [name, def] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) this.schemas[name] = toComponentRefs(def);
    return toComponentRefs(rest);
  }
}

function toComponentRefs<T>(value: T): T {
  if (Array.isArray(value)) return value.map(toComponentRefs) as T;
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? v.replace('#/$defs/', '#/components/schemas/') : toComponentRefs(v)]),
  ) as T;
}

/** `/api/conversations/:id` -> `/api/conversations/{id}`. */
export const openApiPath = (path: string): string => path.replace(/:(\w+)/g, '{$1}');

/** One parameter per property of a params or query schema. */
function parameters(where: 'path' | 'query', schema: z.ZodObject | undefined, components: Components): unknown[] {
  if (!schema) return [];
  const json = components.schema(schema, 'input');
  const required = new Set((json.required as string[] | undefined) ?? []);
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  return Object.entries(properties).map(([name, s]) => ({ name, in: where, required: where === 'path' || required.has(name), schema: s }));
}

const WHO: Record<RouteDoc['access'], string> = {
  public: 'No token needed.',
  'signed-in': 'Any signed-in user.',
  agent: 'Role `agent` (manager and admin have it too).',
  editor: 'Role `editor` (admin has it too).',
  manager: 'Role `manager` (admin has it too).',
  admin: 'Role `admin`.',
};

function responses(route: RouteDoc, components: Components): Record<string, unknown> {
  const ok = route.ok;
  const type = ok.contentType ?? 'application/json';
  const out: Record<string, unknown> = {
    [ok.status]: {
      description: ok.description,
      ...(ok.status === 204 || ok.status === 101 ? {} : { content: { [type]: ok.schema ? { schema: components.schema(ok.schema, 'output') } : {} } }),
    },
  };
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of routeErrors(route)) {
    const { status } = ERROR_CODES[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  for (const [status, codes] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    out[status] = {
      description: codes.map((c) => `${c}: ${ERROR_CODES[c].meaning}`).join('; '),
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  return out;
}

function operation(route: RouteDoc, tag: string, components: Components): Record<string, unknown> {
  const description = [route.details, WHO[route.access], route.only ? `Only in ${route.only}.` : undefined, route.core ? 'Part of the stable core.' : 'An extension of the core.']
    .filter(Boolean)
    .join('\n\n');
  const op: Record<string, unknown> = {
    tags: [tag],
    summary: route.summary,
    description,
    operationId: `${route.method.toLowerCase()}${openApiPath(route.path).replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    security: route.access === 'public' || route.websocket ? [] : [{ bearer: [] }],
    'x-access': route.access,
    'x-core': route.core ?? false,
  };
  if (route.only) op['x-only'] = route.only;
  if (route.websocket) op['x-websocket'] = true;
  const params = [...parameters('path', route.params, components), ...parameters('query', route.query, components)];
  if (params.length > 0) op.parameters = params;
  if (route.body) {
    op.requestBody = { required: !route.bodyOptional, content: { 'application/json': { schema: components.schema(route.body, 'input') } } };
  }
  op.responses = responses(route, components);
  return op;
}

export function openApiDocument(groups: readonly RouteGroup[]): OpenApiDocument {
  const components = new Components();
  const paths: OpenApiDocument['paths'] = {};
  for (const group of groups) {
    for (const route of group.routes) {
      const path = openApiPath(route.path);
      paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation(route, group.name, components) };
    }
  }
  components.schemas.Error = {
    type: 'object',
    properties: {
      error: {
        type: 'object',
        properties: { code: { type: 'string', enum: Object.keys(ERROR_CODES) }, message: { type: 'string' } },
        required: ['code', 'message'],
      },
    },
    required: ['error'],
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'kefu-bridge console API',
      version: API_VERSION,
      description:
        'The agents\' console API. JSON in and out; every error is `{"error":{"code","message"}}`. ' +
        'Operations marked `x-core: true` are the stable core (never renamed or removed); the others are extensions.',
    },
    tags: groups.map((g) => ({ name: g.name })),
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(components.schemas).sort(([a], [b]) => a.localeCompare(b))),
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'the token from POST /api/auth/login' } },
    },
  };
}
