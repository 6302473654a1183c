import { trustInThisProcess } from '../../../../dev/microsoft/certificate';
import { CUSTOM_ZONE } from '../../../../dev/microsoft/calendar';
import { startMicrosoftSimulator, type MicrosoftSimulator } from '../../../../dev/microsoft/simulator';
import { GraphCalendarSide, LINK_PROPERTY } from '../../../../shared/microsoft/calendar-side';
import { createGraphClient } from '../../../../shared/microsoft/graph-client';
import type { EventFields } from '../../../../shared/sync/calendar/event-mapping';
import type { Recurrence } from '../../../../shared/sync/calendar/recurrence';
import type { Change, Snapshot } from '../../../../shared/sync/model';
import type { Write } from '../../../../shared/sync/plan';

const USER = 'megan.bowen@contoso.example';
const NOW = Date.parse('2026-11-24T12:00:00Z');
const DAY = 86_400_000;

const ev = (over: Partial<EventFields> = {}): EventFields => ({
  title: 'Planning',
  description: 'agenda',
  allDay: false,
  start: '2026-12-01T09:00:00Z',
  end: '2026-12-01T10:00:00Z',
  reminderMinutes: 15,
  location: '',
  attendees: [],
  recurrence: null,
  exceptions: [],
  organizer: null,
  showAs: 'busy',
  ...over,
});
const create = (fields: EventFields, linkId: string): Write<EventFields> => ({
  op: 'create',
  side: 'microsoft',
  linkId,
  fields,
});
const upserts = (changes: Change<EventFields>[]): Snapshot<EventFields>[] =>
  changes.flatMap((c) => (c.type === 'upsert' ? [c.item] : []));
const deletes = (changes: Change<EventFields>[]) => changes.filter((c) => c.type === 'delete');

describe('Microsoft calendar side against the Graph simulator', () => {
  let sim: MicrosoftSimulator;
  let sleeps: number[];
  let now: number;
  const side = () =>
    new GraphCalendarSide(
      createGraphClient(sim.graphUrl, () => sim.graphToken(USER)),
      {
        now: () => new Date(now),
        sleep: (ms) => {
          sleeps.push(ms);
          return Promise.resolve();
        },
        pageSize: 25,
      },
    );
  const store = () => sim.calendar(USER);
  const at = (dateTime: string, timeZone = 'UTC') => ({ dateTime, timeZone });

  beforeAll(async () => {
    sim = await startMicrosoftSimulator();
    trustInThisProcess(sim.certificate);
  });
  beforeEach(() => {
    sleeps = [];
    now = NOW;
    for (const e of store().all()) {
      store().remove(e.id);
    }
    store().resetMessages();
  });
  afterAll(() => sim.close());

  it('round-trips single events, timed and all-day, and reads events made in other zones', async () => {
    const s = side();
    const written = [
      ev({ title: 'timed', location: 'Room 7' }),
      ev({ title: 'all day', allDay: true, start: '2026-12-24', end: '2026-12-27', reminderMinutes: null }),
    ];
    const results = await s.write(written.map((f, i) => create(f, `L-${i}`)));
    expect(results.every((r) => r.ok)).toBe(true);
    store().create({
      subject: 'tokyo',
      start: at('2026-12-02T09:00:00', 'Tokyo Standard Time'),
      end: at('2026-12-02T10:00:00', 'Tokyo Standard Time'),
    });
    store().create({
      subject: 'seattle',
      start: at('2026-12-02T09:00:00', 'Pacific Standard Time'),
      end: at('2026-12-02T10:00:00', 'Pacific Standard Time'),
      isReminderOn: false,
    });
    store().create({
      subject: 'holiday in Berlin',
      isAllDay: true,
      start: at('2026-12-31T00:00:00', 'W. Europe Standard Time'),
      end: at('2027-01-01T00:00:00', 'W. Europe Standard Time'),
    });
    const read = await s.read(undefined, new Set());
    expect(read.full).toBe(true);
    const byTitle = new Map(upserts(read.changes).map((u) => [u.fields.title, u]));
    expect(byTitle.get('timed')).toMatchObject({ linkId: 'L-0', fields: written[0] });
    expect(byTitle.get('all day')).toMatchObject({ linkId: 'L-1', fields: written[1] });
    expect(byTitle.get('tokyo')?.fields).toMatchObject({
      start: '2026-12-02T00:00:00Z',
      end: '2026-12-02T01:00:00Z',
    });
    expect(byTitle.get('seattle')?.fields).toMatchObject({
      start: '2026-12-02T17:00:00Z',
      reminderMinutes: null,
    });
    expect(byTitle.get('holiday in Berlin')?.fields).toMatchObject({
      allDay: true,
      start: '2026-12-31',
      end: '2027-01-01',
    });
    expect(byTitle.get('seattle')?.linkId).toBeUndefined();
    expect(byTitle.size).toBe(5);
    // What a write answers is the version the next read reports, so our own write is no news.
    expect(results[0]).toMatchObject({ ok: true, version: byTitle.get('timed')?.version });
  });

  it('leaves a series it cannot map alone and says why', async () => {
    const custom = store().create({
      subject: 'custom zone',
      start: at('2026-12-01T09:00:00', CUSTOM_ZONE),
      end: at('2026-12-01T10:00:00', CUSTOM_ZONE),
      recurrence: {
        pattern: { type: 'daily', interval: 1 },
        range: {
          type: 'numbered',
          startDate: '2026-12-01',
          numberOfOccurrences: 3,
          recurrenceTimeZone: CUSTOM_ZONE,
        },
      },
    });
    if ('error' in custom) {
      throw new Error(custom.error);
    }
    const s = side();
    await s.write([create(ev({ title: 'fine' }), 'U-1')]);
    const read = await s.read(undefined, new Set());
    expect(upserts(read.changes).map((u) => u.fields.title)).toEqual(['fine']);
    expect(read.unmapped).toEqual([
      { id: custom.id, reason: expect.stringContaining('tzone://Microsoft/Custom') as unknown },
    ]);
  });

  const patterns: [string, Recurrence, string][] = [
    [
      'daily',
      {
        pattern: 'daily',
        interval: 2,
        start: '2026-12-01',
        end: { type: 'count', count: 10 },
        timeZone: 'UTC',
      },
      '2026-12-01T09:00:00Z',
    ],
    [
      'weekly',
      {
        pattern: 'weekly',
        interval: 1,
        daysOfWeek: ['monday', 'thursday'],
        start: '2026-11-30',
        end: { type: 'date', date: '2027-06-30' },
        timeZone: 'Europe/Berlin',
      },
      '2026-11-30T08:00:00Z',
    ],
    [
      'monthly',
      {
        pattern: 'monthly',
        interval: 1,
        dayOfMonth: 15,
        start: '2026-12-15',
        end: { type: 'none' },
        timeZone: 'America/New_York',
      },
      '2026-12-15T14:00:00Z',
    ],
    [
      'monthnth',
      {
        pattern: 'monthnth',
        interval: 2,
        daysOfWeek: ['tuesday'],
        instance: 'second',
        start: '2026-12-01',
        end: { type: 'count', count: 6 },
        timeZone: 'Asia/Tokyo',
      },
      '2026-12-08T01:00:00Z',
    ],
    [
      'yearly',
      {
        pattern: 'yearly',
        interval: 1,
        month: 2,
        dayOfMonth: 14,
        start: '2027-02-14',
        end: { type: 'none' },
        timeZone: 'UTC',
      },
      '2027-02-14T18:00:00Z',
    ],
    [
      'yearnth',
      {
        pattern: 'yearnth',
        interval: 1,
        month: 5,
        daysOfWeek: ['friday'],
        instance: 'last',
        start: '2027-05-28',
        end: { type: 'date', date: '2030-12-31' },
        timeZone: 'Europe/London',
      },
      '2027-05-28T16:00:00Z',
    ],
  ];

  it('round-trips a series of each pattern kind', async () => {
    const s = side();
    const written = patterns.map(([name, recurrence, start]) =>
      ev({
        title: name,
        recurrence,
        start,
        end: new Date(Date.parse(start) + 1_800_000).toISOString().replace('.000Z', 'Z'),
      }),
    );
    const results = await s.write(written.map((f, i) => create(f, `S-${i}`)));
    expect(results.map((r) => r.ok)).toEqual(patterns.map(() => true));
    expect(
      store()
        .all()
        .every((e) => e.type === 'seriesMaster'),
    ).toBe(true);
    const read = await s.read(undefined, new Set());
    const items = upserts(read.changes);
    expect(items).toHaveLength(patterns.length);
    for (const f of written) {
      expect(items.find((i) => i.fields.title === f.title)?.fields).toEqual(f);
    }
    expect(new Set(items.map((i) => i.id))).toEqual(new Set(results.map((r) => (r.ok ? r.id : ''))));
  });

  it('writes moved and cancelled occurrences, then changes them, and reads them back the same', async () => {
    const s = side();
    const series = ev({
      title: 'standup',
      start: '2026-12-07T08:00:00Z',
      end: '2026-12-07T08:15:00Z',
      recurrence: {
        pattern: 'daily',
        interval: 1,
        start: '2026-12-07',
        end: { type: 'count', count: 10 },
        timeZone: 'Europe/Berlin',
      },
      exceptions: [
        {
          originalStart: '2026-12-08T08:00:00Z',
          cancelled: false,
          title: 'standup (late)',
          description: 'agenda',
          location: 'Room 2',
          start: '2026-12-08T13:00:00Z',
          end: '2026-12-08T13:15:00Z',
        },
        { originalStart: '2026-12-09T08:00:00Z', cancelled: true },
      ],
    });
    const [created] = await s.write([create(series, 'X-1')]);
    expect(created).toMatchObject({ ok: true });
    const id = created!.ok ? created!.id : '';
    const stored = store().get(id)!;
    expect([...stored.cancelled].map((ms) => new Date(ms).toISOString())).toEqual([
      '2026-12-09T08:00:00.000Z',
    ]);
    expect([...stored.exceptions.values()].map((x) => [x.subject, x.start])).toEqual([
      ['standup (late)', '2026-12-08T13:00:00Z'],
    ]);
    const first = await s.read(undefined, new Set([id]));
    expect(upserts(first.changes).map((u) => u.fields)).toEqual([series]);
    // The same create again (a crash before the link was saved): the same series, nothing doubled.
    const [again] = await side().write([create(series, 'X-1')]);
    expect(again).toMatchObject({ ok: true, id });
    expect(store().all()).toHaveLength(1);
    expect(store().get(id)!.exceptions.size).toBe(1);

    const changed = ev({
      ...series,
      exceptions: [
        { ...series.exceptions[0]!, title: 'standup (later)' } as EventFields['exceptions'][number],
        { originalStart: '2026-12-09T08:00:00Z', cancelled: true },
        { originalStart: '2026-12-11T08:00:00Z', cancelled: true },
      ],
    });
    const [updated] = await s.write([
      { op: 'update', side: 'microsoft', linkId: 'X-1', id, fields: changed, changed: ['exceptions'] },
    ]);
    expect(updated).toMatchObject({ ok: true, id });
    const second = await s.read(first.cursor, new Set([id]));
    expect(upserts(second.changes).map((u) => u.fields)).toEqual([changed]);

    // Graph cannot bring back a cancelled occurrence: the rest is written, the note says so,
    // and `held` is what the next read reports (so the link's base matches it).
    const [partial] = await s.write([
      {
        op: 'update',
        side: 'microsoft',
        linkId: 'X-1',
        id,
        fields: { ...changed, exceptions: changed.exceptions.slice(0, 2) },
        changed: ['exceptions'],
      },
    ]);
    expect(partial).toMatchObject({
      ok: true,
      id,
      note: expect.stringContaining(
        'cannot bring back a cancelled occurrence (2026-12-11T08:00:00Z)',
      ) as unknown,
      held: changed,
    });
    const third = await s.read(undefined, new Set([id]));
    expect(upserts(third.changes).map((u) => u.fields)).toEqual([changed]);
  });

  it('reports exceptions the user makes in Outlook as changes of their series', async () => {
    const s = side();
    const [created] = await s.write([
      create(
        ev({
          title: 'weekly',
          start: '2026-12-01T15:00:00Z',
          end: '2026-12-01T16:00:00Z',
          recurrence: {
            pattern: 'weekly',
            interval: 1,
            daysOfWeek: ['tuesday'],
            start: '2026-12-01',
            end: { type: 'none' },
            timeZone: 'UTC',
          },
        }),
        'W-1',
      ),
    ]);
    const id = created!.ok ? created!.id : '';
    const first = await s.read(undefined, new Set([id]));
    const [occ1, occ2] = store().instanceIds(id, '2026-12-01T00:00:00Z', '2026-12-10T00:00:00Z');
    expect(store().occurrenceId(id, '2026-12-08T15:00:00Z')).toBe(occ2);
    expect(store().occurrenceId(id, '2026-12-08T15:30:00Z')).toBeUndefined();
    store().update(occ1!, {
      subject: 'weekly (moved)',
      start: at('2026-12-02T15:00:00'),
      end: at('2026-12-02T16:00:00'),
    });
    const moved = await s.read(first.cursor, new Set([id]));
    expect(upserts(moved.changes)).toHaveLength(1);
    expect(upserts(moved.changes)[0]!.fields.exceptions).toEqual([
      expect.objectContaining({
        originalStart: '2026-12-01T15:00:00Z',
        title: 'weekly (moved)',
        start: '2026-12-02T15:00:00Z',
      }),
    ]);

    // A cancelled occurrence shows in the delta only as a removed instance id.
    store().remove(occ2!);
    expect(store().occurrenceId(id, '2026-12-08T15:00:00Z')).toBeUndefined();
    const cancelled = await s.read(moved.cursor, new Set([id]));
    expect(cancelled.changes).toEqual([
      {
        type: 'upsert',
        item: expect.objectContaining({
          id,
          fields: expect.objectContaining({
            exceptions: [
              expect.objectContaining({ originalStart: '2026-12-01T15:00:00Z' }),
              { originalStart: '2026-12-08T15:00:00Z', cancelled: true },
            ],
          }) as unknown,
        }) as unknown,
      },
    ]);
    expect(upserts(cancelled.changes)[0]!.version).not.toBe(upserts(moved.changes)[0]!.version);

    // Deleting the whole series: a deletion of the linked item.
    store().remove(id);
    const gone = await s.read(cancelled.cursor, new Set([id]));
    expect(gone.changes).toEqual([{ type: 'delete', id }]);
  });

  it('refuses a write without its id or fields and sends nothing', async () => {
    const s = side();
    const results = await s.write([
      { op: 'update', side: 'microsoft', linkId: 'B-1', fields: ev() },
      { op: 'delete', side: 'microsoft', linkId: 'B-2' },
      { op: 'create', side: 'microsoft', linkId: 'B-3' },
    ]);
    expect(results).toEqual([
      { ok: false, error: 'a update without its event id', kind: 'permanent', retryable: false },
      { ok: false, error: 'a delete without its event id', kind: 'permanent', retryable: false },
      { ok: false, error: 'a create without its fields', kind: 'permanent', retryable: false },
    ]);
    expect(s.requests).toBe(0);
    expect(store().all()).toEqual([]);
  });

  it('reads 120 events and 3 series in one delta page per 25 instances plus one batch per 20 items', async () => {
    const s = side();
    const singles = Array.from({ length: 120 }, (_, i) =>
      create(
        ev({
          title: `s${i}`,
          start: `2026-12-0${1 + (i % 9)}T09:00:00Z`,
          end: `2026-12-0${1 + (i % 9)}T10:00:00Z`,
        }),
        `N-${i}`,
      ),
    );
    const series = patterns.slice(0, 3).map(([name, recurrence, start], i) =>
      create(
        ev({
          title: name,
          recurrence,
          start,
          end: new Date(Date.parse(start) + 1_800_000).toISOString().replace('.000Z', 'Z'),
        }),
        `R-${i}`,
      ),
    );
    const written = await s.write([...singles, ...series]);
    expect(written.every((r) => r.ok)).toBe(true);
    expect(s.requests).toBe(Math.ceil(123 / 20));
    const reader = side();
    const read = await reader.read(undefined, new Set());
    expect(upserts(read.changes)).toHaveLength(123);
    // 120 singles + occurrences of 3 series in the window, 25 a page; then 123 items by id, 20 a batch.
    const occurrences = store()
      .all()
      .filter((e) => e.type === 'seriesMaster')
      .reduce(
        (n, e) => n + store().instanceIds(e.id, '2026-10-25T00:00:00Z', '2027-11-24T00:00:00Z').length,
        0,
      );
    expect(reader.requests).toBe(Math.ceil((120 + occurrences) / 25) + Math.ceil(123 / 20));
  });

  it('costs one request when nothing changed', async () => {
    const s = side();
    await s.write([create(ev(), 'I-1'), create(ev({ title: 'b' }), 'I-2')]);
    const first = await s.read(undefined, new Set());
    const idle = side();
    const quiet = await idle.read(first.cursor, new Set(upserts(first.changes).map((u) => u.id)));
    expect(quiet.changes).toEqual([]);
    expect(idle.requests).toBe(1);
  });

  it('does not take an event that left the window for a deletion, but reports a real one', async () => {
    const s = side();
    const results = await s.write([
      create(ev({ title: 'stays', start: '2026-10-26T09:00:00Z', end: '2026-10-26T10:00:00Z' }), 'O-1'),
      create(ev({ title: 'moves' }), 'O-2'),
      create(ev({ title: 'deleted' }), 'O-3'),
      create(ev({ title: 'deleted later' }), 'O-4'),
      create(
        ev({
          title: 'past series',
          start: '2026-09-01T09:00:00Z',
          end: '2026-09-01T10:00:00Z',
          recurrence: {
            pattern: 'daily',
            interval: 1,
            start: '2026-09-01',
            end: { type: 'count', count: 3 },
            timeZone: 'UTC',
          },
        }),
        'O-5',
      ),
    ]);
    const [early, moving, deleted, later, past] = results.map((r) => (r.ok ? r.id : ''));
    const linked = new Set([early!, moving!, deleted!, later!, past!]);
    const first = await s.read(undefined, linked);
    // The series before the window: linked, still there, neither reported nor deleted.
    expect(upserts(first.changes).map((u) => u.fields.title)).toEqual(
      expect.arrayContaining(['stays', 'moves', 'deleted', 'deleted later']),
    );
    expect(first.changes).toHaveLength(4);

    store().update(moving!, { start: at('2028-03-01T09:00:00'), end: at('2028-03-01T10:00:00') });
    store().remove(deleted!);
    const next = await s.read(first.cursor, linked);
    expect(next.full).toBe(false);
    expect(next.changes).toEqual([{ type: 'delete', id: deleted }]);

    // Three days on, the window has not moved (it moves in 30-day steps): still the same round.
    now = NOW + 3 * DAY;
    const before = s.requests;
    const idle = await s.read(next.cursor, linked);
    expect(idle).toMatchObject({ full: false, changes: [] });
    expect(s.requests - before).toBe(1);
    expect(JSON.parse(idle.cursor)).toMatchObject({ window: { start: '2026-10-04T00:00:00Z' } });

    // Ten days on, the window has stepped past the early event: a new round, no deletion.
    now = NOW + 10 * DAY;
    store().remove(later!);
    const moved = await s.read(idle.cursor, new Set([early!, moving!, later!]));
    expect(moved.full).toBe(true);
    expect(moved.changes).toEqual([{ type: 'delete', id: later }]);
    expect(JSON.parse(moved.cursor)).toMatchObject({
      window: { start: '2026-11-03T00:00:00Z', end: '2028-01-02T00:00:00Z' },
    });
  });

  it('adopts the link id of an event created before a crash, and a retried create makes no duplicate', async () => {
    const s = side();
    const write = create(ev({ title: 'crash' }), 'C-1');
    const [one] = await s.write([write]);
    // The run crashed before saving its link; the retry and the next read both find the first copy.
    const [two] = await side().write([write]);
    expect(two).toMatchObject({ ok: true, id: one!.ok ? one!.id : 'x' });
    expect(
      store()
        .all()
        .filter((e) => e.subject === 'crash'),
    ).toHaveLength(1);
    expect(store().all()[0]!.extendedProperties).toEqual([{ id: LINK_PROPERTY, value: 'C-1' }]);
    const read = await side().read(undefined, new Set());
    expect(upserts(read.changes)).toEqual([
      expect.objectContaining({ linkId: 'C-1', id: one!.ok ? one!.id : 'x' }),
    ]);
  });

  it('marks invitations read-only, copies someone else’s meeting without attendees, and sends no mail', async () => {
    const s = side();
    const invitation = store().receiveInvitation(
      {
        subject: 'their meeting',
        start: at('2026-12-03T10:00:00'),
        end: at('2026-12-03T11:00:00'),
        attendees: [{ type: 'required', emailAddress: { address: USER, name: 'Megan' } }],
      },
      { name: 'Boss', address: 'boss@fabrikam.example' },
    );
    const copy = ev({
      title: 'from oro',
      organizer: { email: 'lead@oro.example', name: 'Lead' },
      attendees: [
        { email: 'a@contoso.example', name: 'A', type: 'required' },
        { email: 'b@contoso.example', name: 'B', type: 'optional' },
      ],
    });
    const [created] = await s.write([create(copy, 'V-1')]);
    const id = created!.ok ? created!.id : '';
    expect(store().get(id)!.attendees).toEqual([]);

    const read = await s.read(undefined, new Set([id]));
    const items = new Map(upserts(read.changes).map((u) => [u.id, u]));
    expect(items.get(invitation.id)).toMatchObject({
      readOnly: expect.stringContaining('Boss') as unknown,
      fields: { organizer: { email: 'boss@fabrikam.example', name: 'Boss' } },
    });
    expect(items.get(id)).toMatchObject({ fields: copy });
    expect(items.get(id)!.readOnly).toBeUndefined();

    const more = {
      ...copy,
      title: 'from oro (moved)',
      start: '2026-12-01T11:00:00Z',
      end: '2026-12-01T12:00:00Z',
      attendees: [...copy.attendees, { email: 'c@contoso.example', name: 'C', type: 'required' as const }],
    };
    const [updated] = await s.write([
      {
        op: 'update',
        side: 'microsoft',
        linkId: 'V-1',
        id,
        fields: more,
        changed: ['title', 'start', 'end', 'attendees'],
      },
    ]);
    expect(updated).toMatchObject({ ok: true });
    expect(store().get(id)!.attendees).toEqual([]);
    const after = await s.read(read.cursor, new Set([id]));
    expect(upserts(after.changes).map((u) => u.fields)).toEqual([more]);
    await s.write([{ op: 'delete', side: 'microsoft', linkId: 'V-1', id }]);
    expect(store().get(id)).toBeUndefined();
    expect(store().messages()).toEqual([]);
  });

  it('sends only the mail the user caused: invitations for their own meeting, nothing for a reminder change', async () => {
    const s = side();
    const meeting = ev({
      title: 'kick-off',
      start: '2026-12-14T09:00:00Z',
      end: '2026-12-14T10:00:00Z',
      attendees: [{ email: 'a@contoso.example', name: 'A', type: 'required' }],
      recurrence: {
        pattern: 'weekly',
        interval: 1,
        daysOfWeek: ['monday'],
        start: '2026-12-14',
        end: { type: 'count', count: 4 },
        timeZone: 'UTC',
      },
    });
    const [created] = await s.write([create(meeting, 'M-1')]);
    const id = created!.ok ? created!.id : '';
    expect(
      store()
        .messages()
        .map((m) => m.kind),
    ).toEqual(['invitation']);
    store().resetMessages();
    await s.write([
      {
        op: 'update',
        side: 'microsoft',
        linkId: 'M-1',
        id,
        fields: { ...meeting, reminderMinutes: 30 },
        changed: ['reminderMinutes'],
      },
    ]);
    expect(store().messages()).toEqual([]);
    // The user cancelled one occurrence in Oro: that cancellation is theirs.
    await s.write([
      {
        op: 'update',
        side: 'microsoft',
        linkId: 'M-1',
        id,
        fields: {
          ...meeting,
          reminderMinutes: 30,
          exceptions: [{ originalStart: '2026-12-21T09:00:00Z', cancelled: true }],
        },
        changed: ['exceptions'],
      },
    ]);
    expect(
      store()
        .messages()
        .map((m) => m.kind),
    ).toEqual(['cancellation']);
  });

  it('waits out 429s inside a batch, Retry-After in fractional seconds, retrying only the throttled steps', async () => {
    const s = side();
    sim.throttleNext(2, 0.25);
    const results = await s.write([
      create(ev({ title: 'a' }), 'T-a'),
      create(ev({ title: 'b' }), 'T-b'),
      create(ev({ title: 'c' }), 'T-c'),
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
    expect(sleeps).toEqual([250]);
    expect(
      store()
        .all()
        .map((e) => e.subject)
        .sort(),
    ).toEqual(['a', 'b', 'c']);
    expect(s.requests).toBe(2);
  });

  it.each([
    [410, 'syncStateNotFound'],
    [400, 'syncStateNotFound'],
    [404, 'syncStateNotFound'],
    [400, 'resyncRequired'],
    [400, 'syncStateInvalid'],
  ] as const)(
    'drops a delta token Graph answers %d %s for, and reads the window again',
    async (status, code) => {
      const s = side();
      const [made] = await s.write([
        create(ev({ title: `expired ${status} ${code}` }), `X-${status}-${code}`),
      ]);
      const id = made?.ok ? made.id : '';
      const first = await s.read(undefined, new Set([id]));
      store().expireDeltaTokens({ status, code });
      const next = await s.read(first.cursor, new Set([id]));
      expect(next.full).toBe(true);
      expect(upserts(next.changes).map((u) => u.id)).toContain(id);
      expect(deletes(next.changes)).toEqual([]);
      // The bad token is gone from the cursor: the next read continues from the new one.
      const token = (c: string) => (JSON.parse(c) as { deltaLink?: string }).deltaLink;
      expect(token(next.cursor)).toBeDefined();
      expect(token(next.cursor)).not.toBe(token(first.cursor));
      await expect(s.read(next.cursor, new Set([id]))).resolves.toMatchObject({ full: false, changes: [] });
    },
  );

  it('classifies what Graph refuses: 501 is permanent, a 503 that outlasts the retries is retryable, 401 is auth', async () => {
    const s = side();
    sim.failNext(501, 'notSupported');
    const [notImplemented] = await s.write([create(ev({ title: 'never' }), 'E-501')]);
    expect(notImplemented).toMatchObject({ ok: false, kind: 'permanent', retryable: false, status: 501 });
    sim.failNext(503, 'serviceNotAvailable', 5);
    const [unavailable] = await s.write([create(ev({ title: 'later' }), 'E-503')]);
    expect(unavailable).toMatchObject({ ok: false, kind: 'retryable', retryable: true, status: 503 });
    sim.failNext(501, 'notSupported');
    await expect(s.read(undefined, new Set())).rejects.toMatchObject({
      name: 'SideError',
      kind: 'permanent',
      retryable: false,
      status: 501,
    });
    const refusedToken = new GraphCalendarSide(
      createGraphClient(sim.graphUrl, () => Promise.resolve('not-a-token')),
      { now: () => new Date(now) },
    );
    await expect(refusedToken.read(undefined, new Set())).rejects.toMatchObject({
      kind: 'auth',
      retryable: false,
      status: 401,
    });
  });

  it('re-creates an event the user deleted with a new transactionId; a retry of that re-create makes no duplicate', async () => {
    const s = side();
    const [made] = await s.write([create(ev({ title: 'comes back' }), 'R-1')]);
    const id = made?.ok ? made.id : '';
    store().remove(id);
    // The engine names the attempt: the id of the event this create replaces.
    const recreate: Write<EventFields> = { ...create(ev({ title: 'comes back' }), 'R-1'), attempt: id };
    const [again] = await s.write([recreate]);
    const newId = again?.ok ? again.id : '';
    expect(newId).not.toBe(id);
    expect(store().get(newId)).toMatchObject({ subject: 'comes back' });
    const [retried] = await s.write([recreate]);
    expect(retried).toMatchObject({ ok: true, id: newId });
    expect(
      store()
        .all()
        .filter((e) => e.subject === 'comes back'),
    ).toHaveLength(1);
  });

  it('re-reads the window after a lost delta token (410) without inventing deletions', async () => {
    const s = side();
    const results = await s.write([
      create(ev({ title: 'kept' }), 'G-1'),
      create(ev({ title: 'gone' }), 'G-2'),
    ]);
    const [kept, gone] = results.map((r) => (r.ok ? r.id : ''));
    const first = await s.read(undefined, new Set([kept!, gone!]));
    store().expireDeltaTokens();
    store().remove(gone!);
    const next = await s.read(first.cursor, new Set([kept!, gone!]));
    expect(next.full).toBe(true);
    expect(deletes(next.changes)).toEqual([{ type: 'delete', id: gone }]);
    expect(upserts(next.changes)).toEqual([expect.objectContaining({ id: kept, linkId: 'G-1' })]);
  });
});
