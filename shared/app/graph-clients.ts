import type { SharedBudgets } from '../budget/shared-budget';
import { createGraphClient, type GraphClients } from '../microsoft/graph-client';

/**
 * The one place this service makes its Graph clients: each is a user's, and every request
 * it sends takes that user's mailbox permits (Outlook's 4 concurrent requests per app and
 * mailbox, docs/budgets.md), whoever sends it: a sync run, Check Connection, the calendar
 * and list choices, a subscription's creation, renewal or removal.
 */
export function graphClients(graphBaseUrl: string, budgets: SharedBudgets): GraphClients {
  return (userId, getAccessToken) => createGraphClient(graphBaseUrl, getAccessToken, budgets.mailbox(userId));
}
