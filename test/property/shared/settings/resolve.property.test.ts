import fc from 'fast-check';
import {
  flatten,
  LEAF_DEFAULTS,
  LEAF_PATHS,
  resolve,
  unflatten,
  type FlatOverrides,
  type LeafPath,
} from '../../../../shared/settings/model';
import {
  CONFLICT_RESOLUTIONS,
  DIRECTIONS,
  PRIVATE_EVENT_MODES,
  type Level,
} from '../../../../shared/settings/schema';

const sealed = fc.record({
  v: fc.constant(1 as const),
  kid: fc.constantFrom('k1', 'k2'),
  iv: fc.base64String({ minLength: 4, maxLength: 16 }),
  tag: fc.base64String({ minLength: 4, maxLength: 24 }),
  ct: fc.base64String({ minLength: 4, maxLength: 24 }),
});

/** A value of the right type for each leaf. */
const leafValue: Record<LeafPath, fc.Arbitrary<unknown>> = {
  'microsoftApp.clientId': fc.uuid(),
  'microsoftApp.tenantId': fc.uuid(),
  'microsoftApp.clientSecret': sealed,
  'microsoftApp.redirectUri': fc.webUrl(),
  'oro.baseUrl': fc.webUrl(),
  'oro.clientId': fc.string({ minLength: 1 }),
  'oro.clientSecret': sealed,
  'oro.maxConcurrentRequests': fc.integer({ min: 1, max: 256 }),
  syncIntervalMinutes: fc.integer({ min: 1, max: 1440 }),
  'calendar.enabled': fc.boolean(),
  'calendar.direction': fc.constantFrom(...DIRECTIONS),
  'calendar.conflictResolution': fc.constantFrom(...CONFLICT_RESOLUTIONS),
  'calendar.privateEvents': fc.constantFrom(...PRIVATE_EVENT_MODES),
  'calendar.oroCalendarId': fc.integer({ min: 1, max: 1_000_000 }),
  'calendar.microsoftCalendarId': fc.base64String({ minLength: 4, maxLength: 64 }),
  'tasks.enabled': fc.boolean(),
  'tasks.direction': fc.constantFrom(...DIRECTIONS),
  'tasks.conflictResolution': fc.constantFrom(...CONFLICT_RESOLUTIONS),
  'tasks.microsoftListId': fc.base64String({ minLength: 4, maxLength: 64 }),
};

/** Any subset of leaves, each with a random value: one level's overrides. */
const flatOverrides: fc.Arbitrary<FlatOverrides> = fc.record(leafValue, {
  requiredKeys: [],
});

const levels = fc.record(
  { global: flatOverrides, organization: flatOverrides, user: flatOverrides },
  { requiredKeys: ['global'] },
);

describe('three-level resolution (property)', () => {
  it('takes every leaf from the nearest level that sets it, and names that level', () => {
    fc.assert(
      fc.property(levels, (docs) => {
        const resolved = resolve(docs);
        for (const path of LEAF_PATHS) {
          const nearest = (['user', 'organization', 'global'] as Level[]).find(
            (l) => docs[l]?.[path] !== undefined,
          );
          if (nearest) {
            expect(resolved[path]).toEqual({ value: docs[nearest]?.[path], source: nearest });
          } else {
            expect(resolved[path]).toEqual({ value: LEAF_DEFAULTS[path], source: 'global' });
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('survives the stored (nested) form unchanged', () => {
    fc.assert(
      fc.property(flatOverrides, (flat) => {
        expect(flatten(unflatten(flat))).toEqual(flat);
      }),
      { numRuns: 300 },
    );
  });

  it('is unaffected by levels below the one that sets a leaf', () => {
    fc.assert(
      fc.property(levels, flatOverrides, (docs, otherOrg) => {
        // Changing the organization never changes a leaf the user sets.
        const a = resolve(docs);
        const b = resolve({ ...docs, organization: otherOrg });
        for (const path of LEAF_PATHS) {
          if (docs.user?.[path] !== undefined) {
            expect(b[path]).toEqual(a[path]);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
