import { z } from 'zod';
import { isAppError, type AppErrorCode, type FieldError } from '../errors/app-error';

/** RFC 9457 problem details, the body of every 4xx/5xx answer. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

export interface ProblemResponse {
  status: number;
  headers: Record<string, string>;
  body: Problem;
}

const STATUS: Record<AppErrorCode, { status: number; title: string }> = {
  validation: { status: 400, title: 'Invalid request' },
  unauthorized: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Not allowed' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict' },
  'not-connected': { status: 409, title: 'Microsoft account not connected' },
  'precondition-failed': { status: 412, title: 'Precondition failed' },
  'payload-too-large': { status: 413, title: 'Payload too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'dependency-unavailable': { status: 503, title: 'Service unavailable' },
};

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const problemType = (code: AppErrorCode | 'internal'): string => `urn:oro-m365-sync:problem:${code}`;

/** The one place where errors become HTTP answers. Anything not typed is a bug: 500, details only in the log. */
export function toProblem(error: unknown, instanceId?: string): ProblemResponse {
  if (isAppError(error)) {
    const { status, title } = STATUS[error.code];
    const body: Problem = { type: problemType(error.code), title, status, detail: error.message };
    if (error.fieldErrors.length > 0) {
      body.errors = [...error.fieldErrors];
    }
    return { status, headers: { 'Content-Type': PROBLEM_CONTENT_TYPE, ...error.headers }, body };
  }
  return {
    status: 500,
    headers: { 'Content-Type': PROBLEM_CONTENT_TYPE },
    body: {
      type: problemType('internal'),
      title: 'Internal error',
      status: 500,
      detail: `An unexpected error occurred${instanceId ? ` (invocation ${instanceId})` : ''}; it has been logged.`,
    },
  };
}

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });
