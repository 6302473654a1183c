import { z } from 'zod';
import { renderCallbackPage } from '../shared/connection/callback-page';
import type { CallbackOutcome } from '../shared/connection/connection-service';
import { isAppError } from '../shared/errors/app-error';
import { httpFunction, type GetServices } from './http';

const param = z.string().max(4096).optional();
const callbackQuery = z.object({ code: param, state: param, error: param, error_description: param });

/** The browser lands here from Microsoft sign-in; the single-use state is the credential. */
export const oauthCallback = (getServices: GetServices) =>
  httpFunction(getServices, {
    name: 'oauthCallback',
    route: 'oauth/callback',
    method: 'GET',
    operation: {
      operationId: 'oauthCallback',
      summary: 'Microsoft sign-in redirect: finishes the connection and tells the portal window (HTML)',
      tags: ['connection'],
      security: 'none',
      query: callbackQuery,
      responses: {
        200: {
          description: 'Connected; the page posts the result to the portal and closes',
          contentType: 'text/html',
        },
        400: {
          description: 'Not connected; the page posts the reason to the portal',
          contentType: 'text/html',
        },
      },
    },
    run: async (request, context, services) => {
      const parsed = callbackQuery.safeParse(Object.fromEntries(request.query));
      let outcome: CallbackOutcome;
      if (!parsed.success) {
        outcome = { ok: false, error: 'The sign-in response is malformed; start again from the portal.' };
      } else {
        try {
          outcome = await services.connections.completeSignIn(parsed.data);
        } catch (error) {
          // Settings changed under the sign-in (user removed, app unset): say so on the page.
          if (!isAppError(error)) {
            throw error;
          }
          context.log(`oauthCallback: ${error.code}: ${error.message}`);
          outcome = { ok: false, error: error.message };
        }
      }
      if (!outcome.ok) {
        context.log(`oauthCallback: sign-in not completed: ${outcome.error ?? ''}`);
      }
      const page = renderCallbackPage(outcome, services.config.portalOrigin);
      return { status: page.status, headers: page.headers, body: page.body };
    },
  });
