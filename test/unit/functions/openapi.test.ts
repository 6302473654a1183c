import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HttpFunctionDefinition } from '../../../functions/http';
import { buildFunctionTable } from '../../../functions/index';
import { apiDocument } from '../../../functions/openapi';

type Json = Record<string, unknown>;

const document = apiDocument(
  buildFunctionTable(() => {
    throw new Error('the document needs no services');
  }).filter((f): f is HttpFunctionDefinition => f.kind === 'http'),
) as unknown as {
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json> };
};

/** Every keyword of JSON Schema 2020-12 (core, applicator, validation, meta-data, format, content) and OpenAPI 3.1's own. */
const KEYWORDS = new Set([
  ...[
    '$schema',
    '$id',
    '$ref',
    '$anchor',
    '$dynamicRef',
    '$dynamicAnchor',
    '$vocabulary',
    '$comment',
    '$defs',
  ],
  ...['allOf', 'anyOf', 'oneOf', 'not', 'if', 'then', 'else', 'dependentSchemas', 'prefixItems', 'items'],
  ...['contains', 'properties', 'patternProperties', 'additionalProperties', 'propertyNames'],
  ...['unevaluatedItems', 'unevaluatedProperties', 'type', 'enum', 'const', 'multipleOf', 'maximum'],
  ...['exclusiveMaximum', 'minimum', 'exclusiveMinimum', 'maxLength', 'minLength', 'pattern', 'maxItems'],
  ...['minItems', 'uniqueItems', 'maxContains', 'minContains', 'maxProperties', 'minProperties', 'required'],
  ...['dependentRequired', 'format', 'contentEncoding', 'contentMediaType', 'contentSchema', 'title'],
  ...['description', 'default', 'deprecated', 'readOnly', 'writeOnly', 'examples'],
  ...['discriminator', 'xml', 'externalDocs', 'example'],
]);
const TYPES = new Set(['null', 'boolean', 'object', 'array', 'number', 'string', 'integer']);

/** What a strict 2020-12 validator would refuse in one schema and its subschemas. */
function problems(schema: unknown, at: string): string[] {
  if (typeof schema === 'boolean') {
    return [];
  }
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    return [`${at}: not a schema`];
  }
  const s = schema as Json;
  const out: string[] = [];
  for (const key of Object.keys(s)) {
    if (!KEYWORDS.has(key)) {
      out.push(`${at}: unknown keyword "${key}"`);
    }
  }
  if (typeof s.$id === 'string' && s.$id.includes('#')) {
    out.push(`${at}: $id "${s.$id}" has a fragment`);
  }
  if ('$ref' in s) {
    const name = /^#\/components\/schemas\/([^/]+)$/.exec(String(s.$ref))?.[1];
    if (!name || !document.components.schemas[name]) {
      out.push(`${at}: $ref ${String(s.$ref)} does not resolve`);
    }
  }
  const types = Array.isArray(s.type) ? (s.type as unknown[]) : s.type === undefined ? [] : [s.type];
  for (const t of types) {
    if (!TYPES.has(String(t))) {
      out.push(`${at}: type "${String(t)}"`);
    }
  }
  for (const key of ['exclusiveMinimum', 'exclusiveMaximum'] as const) {
    if (key in s && typeof s[key] !== 'number') {
      out.push(`${at}: ${key} must be a number in 2020-12`);
    }
  }
  if ('required' in s && !(Array.isArray(s.required) && s.required.every((r) => typeof r === 'string'))) {
    out.push(`${at}: required must list property names`);
  }
  for (const key of [
    'items',
    'not',
    'additionalProperties',
    'propertyNames',
    'contains',
    'if',
    'then',
    'else',
  ]) {
    if (key in s) {
      out.push(...problems(s[key], `${at}/${key}`));
    }
  }
  for (const key of ['allOf', 'anyOf', 'oneOf', 'prefixItems']) {
    if (key in s) {
      (s[key] as unknown[]).forEach((sub, i) => out.push(...problems(sub, `${at}/${key}/${i}`)));
    }
  }
  for (const key of ['properties', 'patternProperties', '$defs', 'dependentSchemas']) {
    for (const [name, sub] of Object.entries((s[key] as Json | undefined) ?? {})) {
      out.push(...problems(sub, `${at}/${key}/${name}`));
    }
  }
  return out;
}

/** Every schema position of the document: components, parameters, bodies, responses and their headers. */
function schemasOf(): [string, unknown][] {
  const found: [string, unknown][] = Object.entries(document.components.schemas).map(([name, schema]) => [
    `components/${name}`,
    schema,
  ]);
  const inContent = (content: unknown, at: string) =>
    Object.entries((content as Record<string, Json> | undefined) ?? {}).forEach(([type, media]) =>
      found.push([`${at}/${type}`, media.schema]),
    );
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      const at = `${method.toUpperCase()} ${path}`;
      (op.parameters as Json[]).forEach((p) => found.push([`${at} parameter ${String(p.name)}`, p.schema]));
      inContent((op.requestBody as Json | undefined)?.content, `${at} body`);
      for (const [status, response] of Object.entries(op.responses as Record<string, Json>)) {
        inContent(response.content, `${at} ${status}`);
        for (const [name, header] of Object.entries((response.headers as Record<string, Json>) ?? {})) {
          found.push([`${at} ${status} header ${name}`, header.schema]);
        }
      }
    }
  }
  return found;
}

describe('the OpenAPI document', () => {
  it('is valid for strict JSON Schema 2020-12 validators: known keywords, no $id with a fragment, every $ref resolves', () => {
    const all = schemasOf();
    expect(all.length).toBeGreaterThan(50);
    expect(all.flatMap(([at, schema]) => problems(schema, at))).toEqual([]);
  });
});

describe('docs/api.md, the API reference', () => {
  const text = readFileSync(join(__dirname, '../../../docs/api.md'), 'utf8');
  /** The sections: "### METHOD /api/path", each with its "Answers:" line of statuses. */
  const sections = new Map<string, string>(
    text.split(/^(?=#{2,3} )/m).flatMap((part) => {
      const heading = /^### (GET|POST|PUT|PATCH|DELETE) (\/api\/\S+)$/m.exec(part);
      return heading ? [[`${heading[1] ?? ''} ${heading[2] ?? ''}`, part] as const] : [];
    }),
  );
  const operations = Object.entries(document.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, op })),
  );

  it('documents every operation of the OpenAPI document, and no other', () => {
    expect([...sections.keys()].sort()).toEqual(operations.map((o) => o.key).sort());
  });

  it('lists exactly the statuses each operation answers with', () => {
    for (const { key, op } of operations) {
      const listed = /^Answers: (.+)$/m.exec(sections.get(key) ?? '')?.[1];
      const statuses = listed?.match(/\b[1-5]\d\d\b/g)?.sort() ?? [];
      expect({ key, statuses }).toEqual({ key, statuses: Object.keys(op.responses as Json).sort() });
    }
  });

  it('points only inside the repository', () => {
    expect(text).not.toMatch(/\.\.\/shared|\/work\//);
  });
});
