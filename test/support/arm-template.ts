import { createHash } from 'node:crypto';

/**
 * A small evaluator of ARM template expressions ("[format('{0}', parameters('x'))]"), for
 * tests of what a template means: the app settings it writes, the scopes of its role
 * assignments. It knows the functions our template uses (an unknown one throws, so a
 * template change that needs more shows up here) and stands in for what only Azure knows
 * at deployment time: ids, hashes, and the runtime properties `reference()` returns.
 */

export type ArmValue = string | number | boolean | null | ArmValue[] | { [key: string]: ArmValue };

export interface ArmResource {
  type: string;
  apiVersion: string;
  name: string;
  condition?: boolean | string;
  scope?: string;
  dependsOn?: string[];
  [key: string]: unknown;
}

export interface ArmTemplate {
  parameters: Record<string, { type: string; defaultValue?: ArmValue; [key: string]: unknown }>;
  variables: Record<string, ArmValue>;
  resources: ArmResource[];
  outputs: Record<string, { type: string; value: ArmValue }>;
  [key: string]: unknown;
}

export const SUBSCRIPTION_ID = '00000000-1111-2222-3333-444444444444';
export const RESOURCE_GROUP = 'rg-sync';
export const TENANT_ID = '99999999-8888-7777-6666-555555555555';
/** What reference() of the user-assigned identity returns in these evaluations. */
export const IDENTITY = {
  clientId: 'c1c1c1c1-0000-4000-8000-000000000001',
  principalId: 'p1p1p1p1-0000-4000-8000-000000000002',
};

type Fn = (args: ArmValue[], ctx: Context) => ArmValue;

interface Context {
  parameters: Record<string, ArmValue>;
  template: ArmTemplate;
  variableCache: Map<string, ArmValue>;
}

const hash = (...parts: ArmValue[]): Buffer => createHash('sha256').update(JSON.stringify(parts)).digest();

function resourceIdOf(type: string, names: string[], prefix: string): string {
  const [provider = '', ...segments] = type.split('/');
  if (segments.length !== names.length) {
    throw new Error(`resourceId(${type}): ${segments.length} names expected, got ${names.length}`);
  }
  return `${prefix}/providers/${provider}/${segments.map((s, i) => `${s}/${names[i]}`).join('/')}`;
}

const RG_PREFIX = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${RESOURCE_GROUP}`;

/** Splits a resource id back into its type and names: `reference()` answers by type. */
export function parseResourceId(id: string): { type: string; names: string[] } {
  const match = /\/providers\/([^/]+)\/(.+)$/.exec(id);
  if (!match?.[1] || !match[2]) {
    throw new Error(`Not a resource id: ${id}`);
  }
  const parts = match[2].split('/');
  const types: string[] = [];
  const names: string[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    types.push(parts[i] ?? '');
    names.push(parts[i + 1] ?? '');
  }
  return { type: `${match[1]}/${types.join('/')}`, names };
}

/** The runtime properties Azure returns for the types our template reads with reference(). */
function runtimeProperties(id: string): ArmValue {
  const { type, names } = parseResourceId(id);
  const name = names[names.length - 1] ?? '';
  switch (type.toLowerCase()) {
    case 'microsoft.managedidentity/userassignedidentities':
      return { ...IDENTITY, tenantId: TENANT_ID };
    case 'microsoft.storage/storageaccounts':
      return {
        primaryEndpoints: {
          blob: `https://${name}.blob.core.windows.net/`,
          table: `https://${name}.table.core.windows.net/`,
          queue: `https://${name}.queue.core.windows.net/`,
        },
      };
    case 'microsoft.insights/components':
      // An App Insights connection string names the resource; it holds no credential.
      return {
        ConnectionString:
          'InstrumentationKey=3f2b6c1e-0000-4000-8000-000000000000;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/',
      };
    case 'microsoft.web/sites':
      return { defaultHostName: `${name}.azurewebsites.net` };
    default:
      throw new Error(`reference() of ${type} has no stand-in in test/support/arm-template.ts`);
  }
}

const str = (v: ArmValue | undefined): string => {
  if (typeof v === 'string') {
    return v;
  }
  if (typeof v === 'number' || typeof v === 'boolean') {
    return String(v);
  }
  throw new Error(`Expected a string, got ${JSON.stringify(v)}`);
};

const isEmpty = (v: ArmValue | undefined): boolean =>
  v === null ||
  v === undefined ||
  v === '' ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);

const FUNCTIONS: Record<string, Fn> = {
  parameters: ([name], ctx) => {
    const key = str(name);
    if (!(key in ctx.parameters)) {
      throw new Error(`parameters('${key}') has no value`);
    }
    return ctx.parameters[key] ?? null;
  },
  variables: ([name], ctx) => variable(str(name), ctx),
  format: ([fmt, ...args]) => str(fmt).replace(/\{(\d+)\}/g, (_, i: string) => str(args[Number(i)] ?? '')),
  concat: (args) => (Array.isArray(args[0]) ? args.flatMap((a) => a as ArmValue[]) : args.map(str).join('')),
  toLower: ([s]) => str(s).toLowerCase(),
  take: ([s, n]) => str(s).slice(0, Number(n)),
  uniqueString: (args) => {
    // 13 characters of [a-z0-9], as Azure's; the value itself is Azure's secret sauce.
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
    return [...hash('uniqueString', ...args).subarray(0, 13)].map((b) => alphabet[b % 36]).join('');
  },
  guid: (args) => {
    const h = hash('guid', ...args).toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
  },
  resourceGroup: () => ({ id: RG_PREFIX, name: RESOURCE_GROUP, location: 'westeurope' }),
  subscription: () => ({
    id: `/subscriptions/${SUBSCRIPTION_ID}`,
    subscriptionId: SUBSCRIPTION_ID,
    tenantId: TENANT_ID,
  }),
  environment: () => ({
    name: 'AzureCloud',
    authentication: { loginEndpoint: 'https://login.microsoftonline.com/' },
    suffixes: { storage: 'core.windows.net' },
  }),
  resourceId: ([type, ...names]) => resourceIdOf(str(type), names.map(str), RG_PREFIX),
  subscriptionResourceId: ([type, ...names]) =>
    resourceIdOf(str(type), names.map(str), `/subscriptions/${SUBSCRIPTION_ID}`),
  extensionResourceId: ([scope, type, ...names]) => resourceIdOf(str(type), names.map(str), str(scope)),
  reference: ([id]) => runtimeProperties(str(id)),
  empty: ([v]) => isEmpty(v),
  not: ([v]) => v !== true,
  and: (args) => args.every((a) => a === true),
  or: (args) => args.some((a) => a === true),
  equals: ([a, b]) => JSON.stringify(a) === JSON.stringify(b),
  if: ([condition, yes, no]) => (condition === true ? (yes ?? null) : (no ?? null)),
  createArray: (args) => args,
  createObject: (args) => {
    const out: Record<string, ArmValue> = {};
    for (let i = 0; i < args.length; i += 2) {
      out[str(args[i])] = args[i + 1] ?? null;
    }
    return out;
  },
  first: ([v]) => (Array.isArray(v) ? (v[0] ?? null) : str(v).slice(0, 1)),
  string: ([v]) => (typeof v === 'string' ? v : JSON.stringify(v)),
};

function variable(name: string, ctx: Context): ArmValue {
  if (ctx.variableCache.has(name)) {
    return ctx.variableCache.get(name) ?? null;
  }
  if (!(name in ctx.template.variables)) {
    throw new Error(`variables('${name}') is not defined`);
  }
  const value = evaluate(ctx.template.variables[name] ?? null, ctx);
  ctx.variableCache.set(name, value);
  return value;
}

// ---- parsing: Name(args) with .property and [index] accessors, 'strings' and numbers ----

class Parser {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly ctx: Context,
  ) {}

  parseAll(): ArmValue {
    const value = this.expression();
    this.skipSpace();
    if (this.pos !== this.text.length) {
      throw new Error(`Unexpected "${this.text.slice(this.pos)}" in [${this.text}]`);
    }
    return value;
  }

  private skipSpace(): void {
    while (/\s/.test(this.text[this.pos] ?? '')) {
      this.pos++;
    }
  }

  private expression(): ArmValue {
    this.skipSpace();
    let value = this.primary();
    for (;;) {
      this.skipSpace();
      const c = this.text[this.pos];
      if (c === '.') {
        this.pos++;
        const name = this.identifier();
        value = member(value, name);
      } else if (c === '[') {
        this.pos++;
        const index = this.expression();
        this.expect(']');
        value = Array.isArray(value) ? (value[Number(index)] ?? null) : member(value, str(index));
      } else {
        return value;
      }
    }
  }

  private primary(): ArmValue {
    const c = this.text[this.pos];
    if (c === "'") {
      return this.stringLiteral();
    }
    if (c !== undefined && /[-\d]/.test(c)) {
      const match = /^-?\d+/.exec(this.text.slice(this.pos));
      this.pos += match?.[0].length ?? 0;
      return Number(match?.[0]);
    }
    const name = this.identifier();
    this.skipSpace();
    this.expect('(');
    const args: ArmValue[] = [];
    this.skipSpace();
    if (this.text[this.pos] === ')') {
      this.pos++;
    } else {
      for (;;) {
        args.push(this.expression());
        this.skipSpace();
        if (this.text[this.pos] === ',') {
          this.pos++;
          continue;
        }
        this.expect(')');
        break;
      }
    }
    const fn = Object.entries(FUNCTIONS).find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
    if (!fn) {
      throw new Error(`The function ${name}() has no stand-in in test/support/arm-template.ts`);
    }
    return fn(args, this.ctx);
  }

  private stringLiteral(): string {
    let out = '';
    this.pos++;
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) {
        throw new Error(`Unterminated string in [${this.text}]`);
      }
      this.pos++;
      if (c === "'") {
        if (this.text[this.pos] === "'") {
          out += "'";
          this.pos++;
          continue;
        }
        return out;
      }
      out += c;
    }
  }

  private identifier(): string {
    const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.pos));
    if (!match) {
      throw new Error(`Expected a name at "${this.text.slice(this.pos)}"`);
    }
    this.pos += match[0].length;
    return match[0];
  }

  private expect(c: string): void {
    this.skipSpace();
    if (this.text[this.pos] !== c) {
      throw new Error(`Expected "${c}" at "${this.text.slice(this.pos)}" in [${this.text}]`);
    }
    this.pos++;
  }
}

function member(value: ArmValue, name: string): ArmValue {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`.${name} of a non-object`);
  }
  // ARM property access is case-insensitive.
  const key = Object.keys(value).find((k) => k.toLowerCase() === name.toLowerCase());
  if (key === undefined) {
    throw new Error(`No property ${name} in ${JSON.stringify(value)}`);
  }
  return value[key] ?? null;
}

export const isExpression = (v: string): boolean =>
  v.startsWith('[') && !v.startsWith('[[') && v.endsWith(']');

/** Evaluates every expression inside a value (strings, and object keys as ARM does). */
export function evaluate(value: unknown, ctx: Context): ArmValue {
  if (typeof value === 'string') {
    if (isExpression(value)) {
      return new Parser(value.slice(1, -1), ctx).parseAll();
    }
    return value.startsWith('[[') ? value.slice(1) : value;
  }
  if (Array.isArray(value)) {
    return value.map((v) => evaluate(v, ctx));
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [str(evaluate(k, ctx)), evaluate(v, ctx)]),
    );
  }
  return value as ArmValue;
}

export interface Evaluated {
  /** Resolves an expression or a value of the template with these parameters. */
  evaluate(value: unknown): ArmValue;
  /** Every resource whose condition holds, with its properties evaluated. */
  resources: Array<ArmResource & { id: string }>;
}

/** The template as deployed with these parameter values (the others at their defaults). */
export function evaluateTemplate(template: ArmTemplate, values: Record<string, ArmValue>): Evaluated {
  const ctx: Context = { parameters: {}, template, variableCache: new Map() };
  for (const [name, def] of Object.entries(template.parameters)) {
    if (name in values) {
      ctx.parameters[name] = values[name] ?? null;
    } else if (def.defaultValue !== undefined) {
      ctx.parameters[name] = evaluate(def.defaultValue, ctx);
    }
  }
  const resources = template.resources
    .filter((r) => r.condition === undefined || evaluate(r.condition, ctx) === true)
    .map((r) => {
      const evaluated = evaluate(r, ctx) as unknown as ArmResource;
      const names = evaluated.name.split('/');
      return { ...evaluated, id: resourceIdOf(evaluated.type, names, RG_PREFIX) };
    });
  return { evaluate: (value) => evaluate(value, ctx), resources };
}
