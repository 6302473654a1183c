import type { SharedBudgets } from '../budget/shared-budget';
import { OroClient, type OroTokenCache } from '../oro/client';
import { LEAF_DEFAULTS } from '../settings/model';
import type { OroConnectionSettings } from '../settings/service';

/** Makes an Oro client for a connection (the settings' `oro.*`), with a deadline of its own if given. */
export type OroClients = (connection: OroConnectionSettings, options?: { timeoutMs?: number }) => OroClient;

/** The built-in oro.maxConcurrentRequests (shared/settings/model.ts), for callers without settings. */
const DEFAULT_ORO_BUDGET = LEAF_DEFAULTS['oro.maxConcurrentRequests'];

/**
 * The one place this service makes its Oro clients: every request takes a permit of the
 * Oro instance's shared budget (its base URL, docs/budgets.md), whoever sends it: a sync
 * run or Check Connection. No budgets: unbounded (tests of a side alone).
 */
export function oroClients(tokens: OroTokenCache, budgets?: SharedBudgets): OroClients {
  return (connection, options = {}) =>
    new OroClient(connection, tokens, {
      ...options,
      budget: budgets?.oro(connection.baseUrl, connection.maxConcurrentRequests ?? DEFAULT_ORO_BUDGET),
    });
}
