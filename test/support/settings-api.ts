/** Ids and the problem+json check shared by the settings API's end-to-end tests (test/e2e/functions/settings-api.*). */
import type { z } from 'zod';
import { problemSchema } from '../../shared/http/problem';
import type { ApiResponse } from './stack';

export const ORG_ID = 'org-e2e';
export const CLIENT_ID = '3e9b8c1a-7f21-4d3a-9b57-0c6de1f2a8b4';

export function expectProblem(res: ApiResponse, status: number): z.infer<typeof problemSchema> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  const problem = problemSchema.parse(res.body);
  expect(problem.status).toBe(status);
  expect(problem.detail.length).toBeGreaterThan(0);
  return problem;
}
