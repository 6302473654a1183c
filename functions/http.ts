import type { HttpMethod, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { z } from 'zod';
import type { Services } from '../shared/app/services';
import { AppError } from '../shared/errors/app-error';
import { parseEtagCondition } from '../shared/http/etag';
import { PROBLEM_CONTENT_TYPE, problemSchema, toProblem } from '../shared/http/problem';
import { parseInput } from '../shared/http/validation';
import type { ApiOperation, ApiResponse } from '../shared/openapi/document';
import type { Preconditions } from '../shared/settings/service';
import { entityId } from '../shared/settings/schema';

/** Bodies larger than this are refused before they are parsed (API.md: 413). */
export const MAX_BODY_BYTES = 64 * 1024;

export type GetServices = () => Services;

export interface HttpFunctionDefinition {
  kind: 'http';
  name: string;
  /** Relative to the `api/` route prefix of host.json. */
  route: string;
  method: HttpMethod;
  operation: ApiOperation;
  handler: (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;
}

export type HttpRun = (
  request: HttpRequest,
  context: InvocationContext,
  services: Services,
) => Promise<HttpResponseInit>;

/**
 * Declares one HTTP function: authentication per the operation's security, then `run`;
 * any error becomes problem+json here, and only here.
 */
export function httpFunction(
  getServices: GetServices,
  def: { name: string; route: string; method: HttpMethod; operation: ApiOperation; run: HttpRun },
): HttpFunctionDefinition {
  return {
    kind: 'http',
    name: def.name,
    route: def.route,
    method: def.method,
    operation: def.operation,
    handler: async (request, context) => {
      try {
        const services = getServices();
        if (def.operation.security === 'admin') {
          await services.authenticateAdmin(request.headers.get('authorization'));
        }
        return await def.run(request, context, services);
      } catch (error) {
        const problem = toProblem(error, context.invocationId);
        if (problem.status >= 500) {
          context.error(`${def.name} failed`, error);
        } else {
          context.log(`${def.name}: ${problem.status} ${problem.body.detail}`);
        }
        return { status: problem.status, headers: problem.headers, body: JSON.stringify(problem.body) };
      }
    },
  };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

const JSON_TYPES = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;

/**
 * Reads a JSON body within the size limit: 413 when too large, 415 for a non-JSON type,
 * 400 for bad JSON, and for no body unless `optional` (then undefined).
 */
export async function readJsonBody(
  request: HttpRequest,
  options: { optional?: boolean } = {},
): Promise<unknown> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) {
    throw tooLarge();
  }
  const type = request.headers.get('content-type');
  if (type && !JSON_TYPES.test(type)) {
    throw new AppError(
      'unsupported-media-type',
      `Send the body as application/json, not ${type.split(';')[0]}.`,
    );
  }
  const bytes = Buffer.from(await request.arrayBuffer());
  if (bytes.length > MAX_BODY_BYTES) {
    throw tooLarge();
  }
  const text = bytes.toString('utf8');
  if (text.trim() === '') {
    if (options.optional) {
      return undefined;
    }
    throw new AppError('validation', 'A JSON body is required.', {
      fieldErrors: [{ path: '', message: 'empty body' }],
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // The parser's own message quotes the body, which may hold a secret: say only where it broke.
    const position = error instanceof Error ? /position (\d+)/.exec(error.message)?.[1] : undefined;
    throw new AppError('validation', 'The body is not valid JSON.', {
      fieldErrors: [
        { path: '', message: position ? `not valid JSON at position ${position}` : 'not valid JSON' },
      ],
    });
  }
}

const tooLarge = () => new AppError('payload-too-large', `The body must not exceed ${MAX_BODY_BYTES} bytes.`);

/** Validates a path parameter and names it in the 400 when it is bad. */
export function pathParam<T extends z.ZodType>(request: HttpRequest, name: string, schema: T): z.infer<T> {
  return parseInput(schema, request.params[name], `path parameter "${name}"`, { prefix: [name] });
}

/** The `{userId}` of a route, validated. */
export const userIdParam = (request: HttpRequest): string => pathParam(request, 'userId', entityId);

export function preconditions(request: HttpRequest): Preconditions {
  const ifMatch = parseEtagCondition(request.headers.get('if-match'));
  const ifNoneMatch = parseEtagCondition(request.headers.get('if-none-match'));
  return { ...(ifMatch ? { ifMatch } : {}), ...(ifNoneMatch ? { ifNoneMatch } : {}) };
}

/** An error response in the OpenAPI document. */
export const problemResponse = (description: string): ApiResponse => ({
  description,
  schema: problemSchema,
  contentType: PROBLEM_CONTENT_TYPE,
});

/** The errors every admin route can answer. */
export const ADMIN_ERRORS = {
  400: problemResponse('Invalid path, query or body; `errors` names each field.'),
  401: problemResponse('Missing or invalid bearer token.'),
  403: problemResponse('The token lacks the Sync.Admin role.'),
};
