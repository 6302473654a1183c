import { z } from 'zod';

/** What an HTTP function tells the OpenAPI document about itself, with the zod schemas it validates with. */
export interface ApiOperation {
  operationId: string;
  summary: string;
  tags: string[];
  /** 'admin': bearer token with the admin role. */
  security: 'admin' | 'none';
  requestBody?: z.ZodType;
  query?: z.ZodObject;
  /** Request headers the operation reads (If-Match, …). */
  headers?: string[];
  responses: Record<number, ApiResponse>;
}

export interface ApiResponse {
  description: string;
  schema?: z.ZodType;
  contentType?: string;
  /** Response headers set on success (ETag, Location, …). */
  headers?: string[];
}

export interface RouteOperation {
  method: string;
  /** Full path with {param} placeholders, e.g. /api/settings/users/{userId}. */
  path: string;
  operation: ApiOperation;
}

const HEADER_DESCRIPTIONS: Record<string, string> = {
  ETag: 'Version of the representation; send it back in If-Match.',
  'If-Match': 'Only write if the resource still has this ETag (412 otherwise).',
  'If-None-Match': '`*`: only create, never overwrite (412 if it exists).',
  Location: 'The created resource.',
  Allow: 'Methods the route accepts.',
  'Webhook-Signature':
    "Oro's signature: hex HMAC-SHA256 of the raw body under the organization's webhook secret.",
};

function schemaRef(schema: z.ZodType, io: 'input' | 'output'): unknown {
  const id = z.globalRegistry.get(schema)?.id;
  if (id) {
    return { $ref: `#/components/schemas/${id}` };
  }
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
}

/** An OpenAPI 3.1 document generated from the same schemas that validate requests. */
export function buildOpenApi(
  info: { title: string; version: string; description: string },
  routes: RouteOperation[],
) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { method, path, operation } of routes) {
    const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const query = Object.entries(operation.query?.shape ?? {}).map(([name, schema]) => ({
      name,
      in: 'query',
      required: !(schema as z.ZodType).safeParse(undefined).success,
      schema: schemaRef(schema as z.ZodType, 'input'),
    }));
    const headers = (operation.headers ?? []).map((name) => ({
      name,
      in: 'header',
      required: false,
      description: HEADER_DESCRIPTIONS[name],
      schema: { type: 'string' },
    }));
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(operation.responses)) {
      responses[status] = {
        description: response.description,
        ...(response.schema
          ? {
              content: {
                [response.contentType ?? 'application/json']: {
                  schema: schemaRef(response.schema, 'output'),
                },
              },
            }
          : {}),
        ...(response.headers
          ? {
              headers: Object.fromEntries(
                response.headers.map((h) => [
                  h,
                  { description: HEADER_DESCRIPTIONS[h], schema: { type: 'string' } },
                ]),
              ),
            }
          : {}),
      };
    }
    (paths[path] ??= {})[method.toLowerCase()] = {
      operationId: operation.operationId,
      summary: operation.summary,
      tags: operation.tags,
      ...(operation.security === 'admin' ? { security: [{ entraBearer: [] }] } : { security: [] }),
      parameters: [...params, ...query, ...headers],
      ...(operation.requestBody
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: schemaRef(operation.requestBody, 'input') } },
            },
          }
        : {}),
      responses,
    };
  }
  const { schemas } = z.toJSONSchema(z.globalRegistry, {
    io: 'input',
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, Record<string, unknown>> };
  for (const schema of Object.values(schemas)) {
    // Each schema is named by its place under components; zod's `$id` ("#/components/…") is
    // a URI with a fragment, which JSON Schema 2020-12 forbids, so strict validators refuse it.
    delete schema.$schema;
    delete schema.$id;
  }
  return {
    openapi: '3.1.0',
    info,
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    paths,
    components: {
      schemas,
      securitySchemes: {
        entraBearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'Entra ID access token for this API with the Sync.Admin app role.',
        },
      },
    },
  };
}
