import { z } from 'zod';
import { conflictResolution, direction, privateEvents, type Level } from './schema';

/** A secret as it rests in storage (see shared/crypto/secret-box.ts). */
export const sealedSecret = z.strictObject({
  v: z.literal(1),
  kid: z.string(),
  iv: z.string(),
  tag: z.string(),
  ct: z.string(),
});

const entitySync = z.strictObject({
  enabled: z.boolean().optional(),
  direction: direction.optional(),
  conflictResolution: conflictResolution.optional(),
});

/** The overrides one level holds, as stored. Absent means "inherit". */
export const storedOverrides = z.strictObject({
  microsoftApp: z
    .strictObject({
      clientId: z.string().optional(),
      tenantId: z.string().optional(),
      clientSecret: sealedSecret.optional(),
      redirectUri: z.string().optional(),
    })
    .optional(),
  oro: z
    .strictObject({
      baseUrl: z.string().optional(),
      clientId: z.string().optional(),
      clientSecret: sealedSecret.optional(),
      maxConcurrentRequests: z.number().int().min(1).optional(),
    })
    .optional(),
  syncIntervalMinutes: z.number().int().optional(),
  calendar: entitySync
    .extend({
      privateEvents: privateEvents.optional(),
      oroCalendarId: z.number().int().positive().optional(),
      microsoftCalendarId: z.string().optional(),
    })
    .optional(),
  tasks: entitySync.extend({ microsoftListId: z.string().optional() }).optional(),
});

export type StoredOverrides = z.infer<typeof storedOverrides>;

/** Sections are the objects of the document; the leaves inside them inherit one by one. */
export const SECTIONS = ['microsoftApp', 'oro', 'calendar', 'tasks'] as const;
export type Section = (typeof SECTIONS)[number];
export const SECRET_SECTIONS = ['microsoftApp', 'oro'] as const;
export type SecretSection = (typeof SECRET_SECTIONS)[number];

/** Every leaf of the settings tree with its built-in default (null: no default, must be configured). */
export const LEAF_DEFAULTS = {
  'microsoftApp.clientId': null,
  'microsoftApp.tenantId': null,
  'microsoftApp.clientSecret': null,
  'microsoftApp.redirectUri': null,
  'oro.baseUrl': null,
  'oro.clientId': null,
  'oro.clientSecret': null,
  /** The Oro instance's shared concurrency budget (docs/budgets.md). */
  'oro.maxConcurrentRequests': 8,
  syncIntervalMinutes: 30,
  'calendar.enabled': false,
  'calendar.direction': 'bidirectional',
  'calendar.conflictResolution': 'oro-wins',
  /** Outlook events marked private arrive in Oro as busy time only (docs/calendar.md). */
  'calendar.privateEvents': 'busy-only',
  /** User level only (schema.ts): the user's Oro calendar. */
  'calendar.oroCalendarId': null,
  /** User level only: the Outlook calendar synced (null: the default calendar). */
  'calendar.microsoftCalendarId': null,
  'tasks.enabled': false,
  'tasks.direction': 'bidirectional',
  'tasks.conflictResolution': 'oro-wins',
  /** User level only: the To Do list synced (null: the default list). */
  'tasks.microsoftListId': null,
} as const satisfies Record<string, unknown>;

export type LeafPath = keyof typeof LEAF_DEFAULTS;
/** Leaves only a user can set: the global level does not show them among its defaults. */
export const USER_ONLY_LEAVES: ReadonlySet<LeafPath> = new Set<LeafPath>([
  'calendar.oroCalendarId',
  'calendar.microsoftCalendarId',
  'tasks.microsoftListId',
]);
export const LEAF_PATHS = Object.keys(LEAF_DEFAULTS) as LeafPath[];

export type FlatOverrides = Partial<Record<LeafPath, unknown>>;

const isSection = (key: string): key is Section => (SECTIONS as readonly string[]).includes(key);
const isLeafPath = (key: string): key is LeafPath => Object.hasOwn(LEAF_DEFAULTS, key);

export function flatten(doc: StoredOverrides): FlatOverrides {
  const flat: FlatOverrides = {};
  for (const [key, value] of Object.entries(doc)) {
    if (value === undefined) {
      continue;
    }
    if (isSection(key)) {
      for (const [field, leafValue] of Object.entries(value as Record<string, unknown>)) {
        const path = `${key}.${field}`;
        if (leafValue !== undefined && isLeafPath(path)) {
          flat[path] = leafValue;
        }
      }
    } else if (isLeafPath(key)) {
      flat[key] = value;
    }
  }
  return flat;
}

export function unflatten(flat: FlatOverrides): StoredOverrides {
  const doc: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(flat)) {
    if (value === undefined) {
      continue;
    }
    const [head, field] = path.split('.') as [string, string | undefined];
    if (field === undefined) {
      doc[head] = value;
    } else {
      const section = (doc[head] ??= {}) as Record<string, unknown>;
      section[field] = value;
    }
  }
  return storedOverrides.parse(doc);
}

export interface ResolvedLeaf {
  value: unknown;
  source: Level;
}

export type ResolvedSettings = Record<LeafPath, ResolvedLeaf>;

/**
 * Per-field inheritance: each leaf comes from the nearest level that sets it (user, then
 * organization, then global), else the built-in default, which counts as global.
 */
export function resolve(levels: Partial<Record<Level, FlatOverrides>>): ResolvedSettings {
  const resolved = {} as ResolvedSettings;
  for (const path of LEAF_PATHS) {
    const source = (['user', 'organization', 'global'] as const).find(
      (lvl) => levels[lvl]?.[path] !== undefined,
    );
    resolved[path] = source
      ? { value: levels[source]?.[path], source }
      : { value: LEAF_DEFAULTS[path], source: 'global' };
  }
  return resolved;
}
