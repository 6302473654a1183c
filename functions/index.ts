import { connectionFunctions } from './connection';
import { microsoftFolderFunctions } from './microsoft-folders';
import { oauthCallback } from './oauth-callback';
import { settingsEffective } from './settings/effective';
import { LEVEL_ROUTES, settingsLevelFunctions } from './settings/levels';
import { health } from './health';
import { housekeepingTimer } from './housekeeping-timer';
import type { GetServices, HttpFunctionDefinition } from './http';
import type { QueueFunctionDefinition } from './queue';
import type { TimerFunctionDefinition } from './timer';
import { syncFunctions } from './sync';
import { fleetStatusFunction } from './sync-fleet';
import { taskSync } from './task-sync';
import { calendarSync } from './calendar-sync';
import { openApi } from './openapi';
import { scheduleTimer } from './schedule-timer';
import { scheduleShard } from './schedule-shard';
import { notificationFunctions } from './notifications';
import { subscriptionRenewalTimer } from './subscription-timer';
import { traced } from './telemetry';
import { oroWebhookFunctions } from './oro-webhooks';

export type FunctionDefinition = HttpFunctionDefinition | QueueFunctionDefinition | TimerFunctionDefinition;

/**
 * The one function table. Azure registration (main.ts) and the local dev host (dev/host.ts)
 * both serve exactly these entries, so routes, methods and handlers are declared once.
 */
export function buildFunctionTable(getServices: GetServices): FunctionDefinition[] {
  const table: FunctionDefinition[] = [
    health(getServices),
    openApi(getServices, () => table.filter((f): f is HttpFunctionDefinition => f.kind === 'http')),
    ...LEVEL_ROUTES.flatMap((route) => settingsLevelFunctions(getServices, route)),
    settingsEffective(getServices),
    ...connectionFunctions(getServices),
    ...microsoftFolderFunctions(getServices),
    oauthCallback(getServices),
    ...syncFunctions(getServices),
    fleetStatusFunction(getServices),
    calendarSync(getServices),
    taskSync(getServices),
    scheduleTimer(getServices),
    scheduleShard(getServices),
    ...notificationFunctions(getServices),
    ...oroWebhookFunctions(getServices),
    subscriptionRenewalTimer(getServices),
    housekeepingTimer(getServices),
  ];
  // Every invocation in a span (functions/telemetry.ts); the OpenAPI document reads `table`.
  return table.map(traced);
}
