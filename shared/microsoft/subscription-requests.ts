import { GraphError, type Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import { isAppError } from '../errors/app-error';
import { SideError } from '../sync/ports';
import { graphErrorClass } from './graph-client';

/**
 * The Graph requests of change-notification subscriptions and what their failures mean;
 * the bookkeeping of the user's subscriptions is SubscriptionService (subscriptions.ts).
 */

export const CHANGE_TYPES = 'created,updated,deleted';

export const createdSubscription = z
  .object({ id: z.string().min(1), expirationDateTime: z.string() })
  .loose();
const todoLists = z.object({
  value: z.array(z.object({ id: z.string(), wellknownListName: z.string().optional() }).loose()),
});

/** Deletes a subscription at Graph; one Graph no longer has is what was wanted. */
export async function deleteSubscriptionAtGraph(client: Client, id: string): Promise<void> {
  try {
    await client.api(`/subscriptions/${encodeURIComponent(id)}`).delete();
  } catch (error) {
    if (error instanceof GraphError && graphErrorClass(error) === 'gone') {
      return;
    }
    throw subscriptionFailure(error, 'delete the subscription');
  }
}

/** The id of the account's default To Do list (else its first), for the tasks subscription. */
export async function defaultTodoListId(client: Client): Promise<string> {
  let body: unknown;
  try {
    body = await client.api('/me/todo/lists').get();
  } catch (error) {
    throw subscriptionFailure(error, 'read the To Do lists');
  }
  const lists = todoLists.parse(body).value;
  const list = lists.find((l) => l.wellknownListName === 'defaultList') ?? lists[0];
  if (!list) {
    throw new SideError('microsoft', 'The account has no To Do list.', 'permanent');
  }
  return list.id;
}

/**
 * A failure of `what` as a SideError: Graph's answer classified by shared/errors/classify.ts,
 * an unexpected document permanent, no answer at all retryable.
 */
export function subscriptionFailure(error: unknown, what: string): unknown {
  if (error instanceof GraphError) {
    return new SideError(
      'microsoft',
      `Could not ${what}: Graph answered ${error.statusCode}: ${error.message}`,
      graphErrorClass(error),
      error.statusCode,
      { cause: error },
    );
  }
  if (error instanceof z.ZodError) {
    return new SideError(
      'microsoft',
      `Could not ${what}: Graph answered an unexpected document`,
      'permanent',
      undefined,
      { cause: error },
    );
  }
  if (error instanceof SideError || isAppError(error)) {
    return error;
  }
  // Not an answer from Graph at all (the connection failed): another try may get one.
  return new SideError(
    'microsoft',
    `Could not ${what}: ${(error as Error).message}`,
    'retryable',
    undefined,
    {
      cause: error,
    },
  );
}
