import { z } from 'zod';

/**
 * The settings documents of API.md, declared once. The same schemas validate request
 * bodies, type the code (z.infer) and generate the OpenAPI document.
 */

export const DIRECTIONS = ['oro-to-microsoft', 'microsoft-to-oro', 'bidirectional'] as const;
export const CONFLICT_RESOLUTIONS = [
  'oro-wins',
  'microsoft-wins',
  'most-recent-wins',
  'field-merge',
] as const;
export const LEVELS = ['global', 'organization', 'user'] as const;

export const direction = z.enum(DIRECTIONS).meta({ description: 'Which way changes flow.' });
export const conflictResolution = z
  .enum(CONFLICT_RESOLUTIONS)
  .meta({ description: 'Who wins when both sides changed an item; used only when bidirectional.' });
export const level = z.enum(LEVELS);
/**
 * What an Outlook event marked private (Graph `sensitivity: private`) becomes in Oro:
 * busy time with a neutral title (default), nothing, or a full copy. docs/calendar.md.
 */
export const PRIVATE_EVENT_MODES = ['busy-only', 'skip', 'full'] as const;
export const privateEvents = z.enum(PRIVATE_EVENT_MODES).meta({
  description:
    'Outlook events marked private: busy-only (time only, neutral title), skip (not copied) or full (copied as they are).',
});
export type PrivateEvents = z.infer<typeof privateEvents>;

export type Direction = z.infer<typeof direction>;
export type ConflictResolution = z.infer<typeof conflictResolution>;
export type Level = z.infer<typeof level>;

/** Ids of users and organizations: Oro's ids, safe as Table Storage keys. */
export const entityId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, ".", "_" or "-", 1 to 64 characters');

const guid = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const domainName = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '127.0.0.1' || host === '[::1]';

/** https everywhere; plain http only for loopback, as Entra ID itself allows for redirect URIs. */
const webUrl = z
  .string()
  .max(2048)
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname));
    } catch {
      return false;
    }
  }, 'an absolute https URL (http only for localhost)');

const clientId = z.string().regex(guid, 'a GUID, the application (client) id');
const tenantId = z
  .string()
  .refine((v) => guid.test(v) || domainName.test(v), 'a directory (tenant) GUID or a verified domain name');
const secret = z
  .string()
  .min(1)
  .max(1024)
  .meta({ description: 'Write-only; stored encrypted.', writeOnly: true });
const oroClientId = z.string().min(1).max(200);
/** The Oro instance's concurrency budget (docs/budgets.md): per base URL, the lowest setting applies. */
export const oroMaxConcurrentRequests = z.number().int().min(1).max(256).meta({
  description:
    'Most requests in flight to this Oro instance (its base URL) from the whole deployment; organizations sharing a base URL share the budget, and the lowest setting among them applies.',
});
const interval = z.number().int().min(1).max(1440).meta({ description: 'Minutes between scheduled syncs.' });

/** A field absent inherits; `null` clears this level's override. */
const opt = <T extends z.ZodType>(schema: T) => schema.nullable().optional();

const secretSetEcho = z.boolean().optional().meta({
  description:
    'Read-only echo from a GET. Sent back with no clientSecret: true keeps the stored secret, false removes it.',
});

const entitySyncWrite = z.strictObject({
  enabled: opt(z.boolean()),
  direction: opt(direction),
  conflictResolution: opt(conflictResolution),
});

const microsoftAppWrite = z.strictObject({
  clientId: opt(clientId),
  tenantId: opt(tenantId),
  clientSecret: opt(secret),
  clientSecretSet: secretSetEcho,
  redirectUri: opt(webUrl),
});

const oroWrite = z.strictObject({
  baseUrl: opt(webUrl),
  clientId: opt(oroClientId),
  clientSecret: opt(secret),
  clientSecretSet: secretSetEcho,
  maxConcurrentRequests: opt(oroMaxConcurrentRequests),
});

/**
 * The user's Oro calendar: the id Oro shows for it (calendar `id` in Oro's REST API). A
 * user-level field only: stock Oro does not let the integration user look another user's
 * calendar up, so the admin portal writes it (see docs/oro-setup.md).
 */
export const oroCalendarId = z
  .number()
  .int()
  .positive()
  .max(Number.MAX_SAFE_INTEGER)
  .meta({ description: "The user's Oro calendar id, where calendar sync reads and writes events." });

/**
 * A Microsoft Graph id (of a calendar or a To Do list): opaque, in Graph's base64 alphabet.
 * It goes into request paths (encoded), so nothing outside that alphabet is taken.
 */
const graphId = (what: string, route: string) =>
  z
    .string()
    .min(1, `must be the id of ${what}, as ${route} lists it`)
    .max(512, `must be the id of ${what}, as ${route} lists it (at most 512 characters)`)
    .regex(/^[A-Za-z0-9+/=_-]+$/, `must be the id of ${what}, as ${route} lists it`);

/**
 * The user's Outlook calendar that calendar sync reads and writes: an id from `GET
 * /api/users/{id}/microsoft/calendars`. User level only; unset: the default calendar.
 */
export const microsoftCalendarId = graphId(
  'an Outlook calendar',
  'GET /api/users/{id}/microsoft/calendars',
).meta({
  description:
    "The user's Outlook calendar that calendar sync reads and writes (unset: the default calendar). Changing it starts a clean pairing with the new calendar; nothing is deleted in the old one.",
});

/** The user's To Do list that task sync reads and writes; unset: the default list. */
export const microsoftListId = graphId('a To Do list', 'GET /api/users/{id}/microsoft/task-lists').meta({
  description:
    "The user's Microsoft To Do list that task sync reads and writes (unset: the default list). Changing it starts a clean pairing with the new list; nothing is deleted in the old one.",
});

/** The calendar section at every level: the sync options, and what private events become. */
const calendarWrite = entitySyncWrite.extend({ privateEvents: opt(privateEvents) });

/** The calendar section of a user: also which Oro calendar and which Outlook calendar are the user's. */
const userCalendarWrite = calendarWrite.extend({
  oroCalendarId: opt(oroCalendarId),
  microsoftCalendarId: opt(microsoftCalendarId),
});

/** The tasks section of a user: also which To Do list is synced. */
const userTasksWrite = entitySyncWrite.extend({ microsoftListId: opt(microsoftListId) });

const commonWriteFields = {
  syncIntervalMinutes: opt(interval),
  calendar: opt(calendarWrite),
  tasks: opt(entitySyncWrite),
};

/** Body of PUT/PATCH on the global and organization levels. */
export const scopeSettingsWrite = z
  .strictObject({
    microsoftApp: opt(microsoftAppWrite),
    oro: opt(oroWrite),
    ...commonWriteFields,
  })
  .meta({ id: 'ScopeSettingsWrite' });

/** Body of PUT/PATCH on the user level: no application credentials, plus the user's organization. */
export const userSettingsWrite = z
  .strictObject({
    organizationId: entityId.optional().meta({ description: "Required on the user's first write." }),
    ...commonWriteFields,
    calendar: opt(userCalendarWrite),
    tasks: opt(userTasksWrite),
  })
  .meta({ id: 'UserSettingsWrite' });

export type ScopeSettingsWrite = z.infer<typeof scopeSettingsWrite>;
export type UserSettingsWrite = z.infer<typeof userSettingsWrite>;
/** What a write may carry at any level (the schemas of each level say which parts it accepts). */
export type SettingsWrite = ScopeSettingsWrite & {
  organizationId?: string | undefined;
  calendar?: UserSettingsWrite['calendar'];
  tasks?: UserSettingsWrite['tasks'];
};

// ---- reads ----------------------------------------------------------------------

const entitySyncRead = z.object({
  enabled: z.boolean().optional(),
  direction: direction.optional(),
  conflictResolution: conflictResolution.optional(),
});

const microsoftAppRead = z.object({
  clientId: z.string().nullable().optional(),
  tenantId: z.string().nullable().optional(),
  redirectUri: z.string().nullable().optional(),
  clientSecretSet: z.boolean(),
});

const oroRead = z.object({
  baseUrl: z.string().nullable().optional(),
  clientId: z.string().nullable().optional(),
  clientSecretSet: z.boolean(),
  maxConcurrentRequests: z.number().int().optional(),
});

/** One level as stored: only the fields this level overrides (global: every field, with defaults). */
export const settingsLevelRead = z
  .object({
    organizationId: z.string().optional(),
    microsoftApp: microsoftAppRead.optional(),
    oro: oroRead.optional(),
    syncIntervalMinutes: z.number().int().optional(),
    calendar: entitySyncRead
      .extend({
        privateEvents: privateEvents.optional(),
        oroCalendarId: z.number().int().optional(),
        microsoftCalendarId: z.string().optional(),
      })
      .optional(),
    tasks: entitySyncRead.extend({ microsoftListId: z.string().optional() }).optional(),
  })
  .meta({ id: 'SettingsLevel' });

const leaf = <T extends z.ZodType>(value: T) => z.object({ value: value.nullable(), source: level });

const entitySyncEffective = z.object({
  enabled: leaf(z.boolean()),
  direction: leaf(direction),
  conflictResolution: leaf(conflictResolution),
});

export const effectiveSettingsRead = z
  .object({
    microsoftApp: z.object({
      clientId: leaf(z.string()),
      tenantId: leaf(z.string()),
      redirectUri: leaf(z.string()),
      clientSecretSet: leaf(z.boolean()),
    }),
    oro: z.object({
      baseUrl: leaf(z.string()),
      clientId: leaf(z.string()),
      clientSecretSet: leaf(z.boolean()),
      maxConcurrentRequests: leaf(z.number().int()),
    }),
    syncIntervalMinutes: leaf(z.number().int()),
    calendar: entitySyncEffective.extend({
      privateEvents: leaf(privateEvents),
      oroCalendarId: leaf(z.number().int()),
      microsoftCalendarId: leaf(z.string()),
    }),
    tasks: entitySyncEffective.extend({ microsoftListId: leaf(z.string()) }),
  })
  .meta({ id: 'EffectiveSettings' });

export type SettingsLevelRead = z.infer<typeof settingsLevelRead>;
export type EffectiveSettingsRead = z.infer<typeof effectiveSettingsRead>;
