import {
  hashFields,
  linkIdFor,
  type Change,
  type Fields,
  type Link,
  type SyncSettings,
} from '../../../../shared/sync/model';
import { EVENT_PAIRING, TASK_PAIRING } from '../../../../shared/sync/pair-keys';
import { plan, type ItemPlan, type PlanInput } from '../../../../shared/sync/plan';

/** First-sync pairing (plan-pairing.ts): items both sides already hold are linked, never copied. */

type Task = { title: string; description: string; dueDate: string | null; status: string; priority: string };
const task = (title: string, extra: Partial<Task> = {}): Task => ({
  title,
  description: '',
  dueDate: '2026-03-10',
  status: 'open',
  priority: 'normal',
  ...extra,
});
type Event = {
  title: string;
  description: string;
  allDay: boolean;
  start: string;
  end: string;
  reminderMinutes: number | null;
  location: string;
  recurrence: unknown;
};
const event = (title: string, extra: Partial<Event> = {}): Event => ({
  title,
  description: '',
  allDay: false,
  start: '2026-03-10T09:00:00Z',
  end: '2026-03-10T10:00:00Z',
  reminderMinutes: 15,
  location: '',
  recurrence: null,
  ...extra,
});

const up = <F extends Fields>(
  id: string,
  fields: F,
  extra: { uid?: string; readOnly?: string; modifiedAt?: string } = {},
): Change<F> => ({
  type: 'upsert',
  item: { id, version: `v-${id}`, fields, modifiedAt: extra.modifiedAt ?? '2026-01-01T00:00:00Z', ...extra },
});

const BI: SyncSettings = { direction: 'bidirectional', conflictResolution: 'oro-wins' };
const first = <F extends Fields>(
  oro: Change<F>[],
  microsoft: Change<F>[],
  settings: SyncSettings = BI,
  extra: Partial<PlanInput<F>> = {},
) =>
  plan<F>({
    links: [],
    changes: { oro, microsoft },
    settings,
    firstSync: true,
    pairing: TASK_PAIRING,
    ...extra,
  }).items;
const firstEvents = (
  oro: Change<Event>[],
  microsoft: Change<Event>[],
  settings: SyncSettings = BI,
  extra: Partial<PlanInput<Event>> = {},
) => first(oro, microsoft, settings, { pairing: EVENT_PAIRING, ...extra });

const pairs = <F extends Fields>(items: ItemPlan<F>[]) =>
  items.filter((i) => i.cell === 'paired/existing').map((i) => [i.oroId, i.microsoftId]);
const creates = <F extends Fields>(items: ItemPlan<F>[]) =>
  items.flatMap((i) =>
    i.writes.filter((w) => w.op === 'create').map((w) => `${w.side}:${i.oroId ?? i.microsoftId}`),
  );

describe('first-sync pairing: equal items', () => {
  it('pairs equal tasks: one link, no write, logged by what they were found equal by', () => {
    const items = first([up('1', task('Call'))], [up('A', task('Call'))]);
    expect(items).toEqual([
      {
        cell: 'paired/existing',
        linkId: linkIdFor('oro', '1'),
        oroId: '1',
        microsoftId: 'A',
        paired: 'the same title and due date',
        writes: [],
        outcome: { type: 'link', base: task('Call'), versions: { oro: 'v-1', microsoft: 'v-A' } },
      },
    ]);
  });

  it('only on a first sync: later, items equal by key but not in content are copied both ways', () => {
    const oro = [up('1', task('Call', { description: 'a' }))];
    const ms = [up('A', task('Call', { description: 'b' }))];
    const later = plan<Task>({
      links: [],
      changes: { oro, microsoft: ms },
      settings: BI,
      pairing: TASK_PAIRING,
    });
    expect(pairs(later.items)).toEqual([]);
    expect(creates(later.items).sort()).toEqual(['microsoft:1', 'oro:A']);
    expect(pairs(first(oro, ms))).toEqual([['1', 'A']]);
  });

  it('titles compare without surrounding spaces; another due date or title is another task', () => {
    const items = first(
      [up('1', task('Call ')), up('2', task('Mail', { dueDate: '2026-03-11' })), up('3', task('Quote'))],
      [up('A', task('Call')), up('B', task('Mail')), up('C', task('Quote v2'))],
    );
    expect(pairs(items)).toEqual([['1', 'A']]);
    expect(creates(items).sort()).toEqual(['microsoft:2', 'microsoft:3', 'oro:B', 'oro:C']);
  });

  it('leaves linked and pending items alone: only items no link holds are paired', () => {
    const base = task('Call');
    const linked: Link<Task> = {
      linkId: 'L1',
      oroId: '1',
      microsoftId: 'A',
      oroVersion: 'v-1',
      microsoftVersion: 'v-A',
      base,
      baseHash: hashFields(base),
    };
    const items = plan<Task>({
      links: [linked],
      changes: { oro: [up('1', base)], microsoft: [up('A', base), up('B', base)] },
      settings: BI,
      firstSync: true,
      pairing: TASK_PAIRING,
    }).items;
    expect(pairs(items)).toEqual([]);
    expect(creates(items)).toEqual(['oro:B']);
  });
});

describe('first-sync pairing: one to one', () => {
  it('never merges two items of one side; identical content pairs first, then in id order', () => {
    const items = first(
      [up('10', task('Call')), up('2', task('Call', { priority: 'high' })), up('3', task('Call'))],
      [up('B', task('Call', { description: 'x' })), up('A', task('Call', { priority: 'high' }))],
    );
    // 2 and A are identical; then 3 (before 10, by value) with B; 10 is left and copied.
    expect(pairs(items)).toEqual([
      ['2', 'A'],
      ['3', 'B'],
    ]);
    expect(creates(items)).toEqual(['microsoft:10']);
    const ids = items.flatMap((i) => [i.oroId, i.microsoftId]).filter((x) => x !== null);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('gives the same pairs whatever order the sides listed them in', () => {
    const oro = [up('1', task('Call')), up('2', task('Call', { description: 'n' })), up('3', task('Call'))];
    const ms = [up('A', task('Call', { description: 'm' })), up('B', task('Call')), up('C', task('Call'))];
    const forward = pairs(first(oro, ms));
    expect(pairs(first([...oro].reverse(), [...ms].reverse()))).toEqual(forward);
    expect(forward).toEqual([
      ['1', 'B'],
      ['3', 'C'],
      ['2', 'A'],
    ]);
  });
});

describe('first-sync pairing: fields beyond the key', () => {
  const oro = [up('1', task('Call', { description: 'from Oro' }), { modifiedAt: '2026-01-02T00:00:00Z' })];
  const ms = [up('A', task('Call', { description: 'from To Do', priority: 'high' }))];

  it('bidirectional: settled by the conflict resolution (Oro wins: Microsoft is updated)', () => {
    const [item] = first(oro, ms);
    expect(item!.writes).toEqual([
      {
        op: 'update',
        side: 'microsoft',
        id: 'A',
        linkId: linkIdFor('oro', '1'),
        fields: task('Call', { description: 'from Oro' }),
        changed: ['description', 'priority'],
      },
    ]);
    expect(item!.conflict).toMatchObject({ strategy: 'oro-wins', winner: 'oro' });
    expect(item!.outcome).toMatchObject({ type: 'link', base: task('Call', { description: 'from Oro' }) });
  });

  it('bidirectional: Microsoft wins updates Oro; most recent wins takes the later edit', () => {
    const [ms1] = first(oro, ms, { direction: 'bidirectional', conflictResolution: 'microsoft-wins' });
    expect(ms1!.writes.map((w) => w.side)).toEqual(['oro']);
    const [recent] = first(oro, ms, { direction: 'bidirectional', conflictResolution: 'most-recent-wins' });
    expect(recent!.writes.map((w) => w.side)).toEqual(['microsoft']);
  });

  it('bidirectional field merge with no common version: a value one side lacks is taken, both valued → Oro', () => {
    const [item] = firstEvents(
      [up('1', event('Review', { description: 'agenda', reminderMinutes: null, location: '' }))],
      [up('A', event('Review', { description: 'notes', reminderMinutes: 30, location: 'Room 4' }))],
      { direction: 'bidirectional', conflictResolution: 'field-merge' },
    );
    const settled = event('Review', { description: 'agenda', reminderMinutes: 30, location: 'Room 4' });
    expect(item!.outcome).toMatchObject({ type: 'link', base: settled });
    expect(item!.conflict).toMatchObject({ strategy: 'field-merge', winner: 'merged' });
    expect(item!.writes.map((w) => [w.side, w.changed])).toEqual([
      ['oro', ['reminderMinutes', 'location']],
      ['microsoft', ['description']],
    ]);
  });

  it('one way: from the source side, and the source is never written', () => {
    for (const [direction, target] of [
      ['oro-to-microsoft', 'microsoft'],
      ['microsoft-to-oro', 'oro'],
    ] as const) {
      const items = first(oro, ms, { direction, conflictResolution: 'oro-wins' });
      expect(pairs(items)).toEqual([['1', 'A']]);
      expect(items[0]!.writes.map((w) => w.side)).toEqual([target]);
      expect(items[0]!.conflict).toMatchObject({ strategy: 'direction' });
    }
  });

  it('an invitation (read-only) stays the source of its pair and is never written', () => {
    const reason = 'an invitation from Ada: only the organizer can change it';
    const invitation = [up('A', task('Call', { description: 'agenda' }), { readOnly: reason })];
    const [bi] = first(oro, invitation);
    expect(bi!.readOnly).toEqual({ side: 'microsoft', reason });
    expect(bi!.writes.map((w) => w.side)).toEqual(['oro']);
    // Oro → Microsoft only: the invitation's side may not be written, nor Oro from it.
    const [oneWay] = first(oro, invitation, {
      direction: 'oro-to-microsoft',
      conflictResolution: 'oro-wins',
    });
    expect(oneWay!.writes).toEqual([]);
    expect(oneWay!.skipped).toBe(reason);
    expect(oneWay!.outcome).toMatchObject({ type: 'link', base: task('Call', { description: 'agenda' }) });
  });

  it('what a side cannot store is taken from the other item before comparing (Oro events have no location)', () => {
    const complete = { oro: (f: Event, base: Event): Event => ({ ...f, location: base.location }) };
    const items = firstEvents(
      [up('1', event('Review'))],
      [up('A', event('Review', { location: 'Room 4' }))],
      BI,
      { complete },
    );
    expect(items).toHaveLength(1);
    expect(items[0]!.writes).toEqual([]);
    expect(items[0]!.outcome).toMatchObject({ base: event('Review', { location: 'Room 4' }) });
  });
});

describe('first-sync pairing: calendar events', () => {
  it('the same iCalendar UID pairs whatever else differs, before any key', () => {
    const items = firstEvents(
      [up('1', event('Review'), { uid: 'U-1' })],
      [
        up('A', event('Review (moved)', { start: '2026-03-11T09:00:00Z' }), { uid: 'U-1' }),
        up('B', event('Review')),
      ],
    );
    expect(pairs(items)).toEqual([['1', 'A']]);
    expect(items.find((i) => i.oroId === '1')!.paired).toBe('the same iCalendar UID');
    expect(creates(items)).toEqual(['oro:B']);
  });

  it('different UIDs still pair by title, start and end', () => {
    const items = firstEvents(
      [up('1', event('Review'), { uid: 'U-1' })],
      [up('A', event('Review'), { uid: 'X' })],
    );
    expect(pairs(items)).toEqual([['1', 'A']]);
    expect(items[0]!.paired).toBe('the same title, start and end');
  });

  it('all-day events pair by their dates; a timed event or a series never pairs with them', () => {
    const day = { allDay: true, start: '2026-03-10', end: '2026-03-11' };
    const items = firstEvents(
      [
        up('1', event('Off', day)),
        up('2', event('Off', { start: '2026-03-10T00:00:00Z', end: '2026-03-11T00:00:00Z' })),
      ],
      [
        up('A', event('Off', { ...day, reminderMinutes: null })),
        up('B', event('Off', { ...day, recurrence: { type: 'daily', interval: 1 } })),
      ],
    );
    expect(pairs(items)).toEqual([['1', 'A']]);
    expect(creates(items).sort()).toEqual(['microsoft:2', 'oro:B']);
  });

  it('another start or end is another event', () => {
    const items = firstEvents(
      [up('1', event('Review', { end: '2026-03-10T10:30:00Z' }))],
      [up('A', event('Review'))],
    );
    expect(pairs(items)).toEqual([]);
  });
});
