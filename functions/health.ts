import { healthReport } from '../shared/app/health';
import { httpFunction, json, type GetServices } from './http';

export const health = (getServices: GetServices) =>
  httpFunction(getServices, {
    name: 'health',
    route: 'health',
    method: 'GET',
    operation: {
      operationId: 'health',
      summary: 'Liveness of the service and its dependencies (public)',
      tags: ['operations'],
      security: 'none',
      responses: {
        200: { description: 'Every dependency answers', schema: healthReport },
        503: {
          description: 'A dependency does not answer; the failing check is named',
          schema: healthReport,
        },
      },
    },
    run: async (_request, _context, services) => {
      const report = await services.health();
      return json(report.status === 'ok' ? 200 : 503, report, { 'Cache-Control': 'no-store' });
    },
  });
