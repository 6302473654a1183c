import { buildOpenApi } from '../shared/openapi/document';
import { httpFunction, json, type GetServices, type HttpFunctionDefinition } from './http';

/** The OpenAPI document of the given HTTP functions (served below; docs/api.md is checked against it). */
export function apiDocument(functions: readonly HttpFunctionDefinition[]) {
  return buildOpenApi(
    {
      title: 'Oro ⇄ Microsoft 365 sync',
      version: '0.1.0',
      description: 'Settings, connection and sync status API served to the Oro admin portal.',
    },
    functions.map((f) => ({ method: f.method, path: `/api/${f.route}`, operation: f.operation })),
  );
}

/** Serves the OpenAPI document of the given functions, built from their own schemas. */
export const openApi = (getServices: GetServices, describe: () => readonly HttpFunctionDefinition[]) => {
  let document: unknown;
  return httpFunction(getServices, {
    name: 'openApi',
    route: 'openapi.json',
    method: 'GET',
    operation: {
      operationId: 'openApi',
      summary: 'This document (OpenAPI 3.1)',
      tags: ['operations'],
      security: 'none',
      responses: { 200: { description: 'OpenAPI 3.1 document' } },
    },
    run: () => {
      document ??= apiDocument(describe());
      return Promise.resolve(json(200, document));
    },
  });
};
