import { startOroSimulator, type OroSimulator } from '../../../../dev/oro/simulator';
import { OroCalendarSide, QUIET_RECHECK_MS } from '../../../../shared/oro/calendar-side';
import { OroClient, OroTokenCache } from '../../../../shared/oro/client';
import type { EventFields } from '../../../../shared/sync/calendar/event-mapping';
import type { Recurrence } from '../../../../shared/sync/calendar/recurrence';
import type { Change, Snapshot } from '../../../../shared/sync/model';
import { SideError, type ReadResult } from '../../../../shared/sync/ports';

const conn = (oro: OroSimulator) => ({ baseUrl: oro.url, clientId: 'sync', clientSecret: 'pw' });
const event = (over: Partial<EventFields> = {}): EventFields => ({
  title: 'Planning',
  description: 'agenda',
  allDay: false,
  start: '2026-05-11T07:00:00Z',
  end: '2026-05-11T07:30:00Z',
  reminderMinutes: 15,
  location: '',
  attendees: [],
  recurrence: null,
  exceptions: [],
  organizer: null,
  showAs: 'busy',
  ...over,
});
const series = (r: Partial<Recurrence>, over: Partial<EventFields> = {}): EventFields =>
  event({
    recurrence: {
      pattern: 'daily',
      interval: 1,
      start: '2026-05-11',
      end: { type: 'none' },
      timeZone: 'Europe/Berlin',
      ...r,
    },
    ...over,
  });
const upserts = (r: ReadResult<EventFields>): Snapshot<EventFields>[] =>
  r.changes.flatMap((c: Change<EventFields>) => (c.type === 'upsert' ? [c.item] : []));
const deletes = (r: ReadResult<EventFields>): string[] =>
  r.changes.flatMap((c) => (c.type === 'delete' ? [c.id] : []));
const written = (result: { ok: boolean } & Partial<{ id: string }>): string => {
  if (!result.ok || !result.id) {
    throw new Error(`write failed: ${JSON.stringify(result)}`);
  }
  return result.id;
};

describe('Oro calendar side against the Oro simulator', () => {
  let oro: OroSimulator;
  let clock = Date.parse('2026-05-01T10:00:00Z');
  const tokens = new OroTokenCache();
  const sleeps: number[] = [];
  const side = (userId: string, timeoutMs = 5_000) => {
    const calendarId = oro.calendar.defaultCalendar(userId); // every Oro user has one, set in their settings
    return new OroCalendarSide(
      new OroClient(conn(oro), tokens, {
        timeoutMs,
        sleep: (ms) => {
          sleeps.push(ms);
          return Promise.resolve();
        },
      }),
      userId,
      { now: () => new Date(clock), window: { pastDays: 30, futureDays: 365 }, calendarId },
    );
  };
  /** Past the settle time: what was read is final. */
  const settle = () => (clock += 60_000);

  beforeAll(async () => {
    oro = await startOroSimulator({ clock: () => clock });
    oro.registerClient('sync', 'pw');
  });
  afterAll(() => oro.close());

  it("reads single timed and all-day events of the user's calendar, with the uid as link id", async () => {
    oro.calendar.setUser('7', { email: 'john@oro.example', name: 'John Doe' });
    oro.calendar.defaultCalendar('8');
    const timed = oro.calendar.createEvent('7', {
      title: 'Review',
      description: 'numbers',
      start: '2026-05-04T09:00:00Z',
      end: '2026-05-04T10:30:00Z',
      reminders: [{ method: 'email', interval: { number: 1, unit: 'H' } }],
      attendees: [{ displayName: 'Ann', email: 'Ann@Example.com', status: 'none', type: 'required' }],
    });
    const allDay = oro.calendar.createEvent('7', {
      title: 'Offsite',
      allDay: true,
      start: '2026-05-06T00:00:00+00:00',
      end: '2026-05-08T00:00:00+00:00',
      uid: 'm-link-1',
    });
    oro.calendar.createEvent('8', {
      title: 'not mine',
      start: '2026-05-04T09:00:00Z',
      end: '2026-05-04T10:00:00Z',
    });
    const s = side('7');
    const read = await s.read(undefined, new Set());
    expect(read.full).toBe(true);
    const items = upserts(read);
    expect(items.map((i) => i.id).sort()).toEqual([String(timed.id), String(allDay.id)].sort());
    expect(items.find((i) => i.id === String(timed.id))).toMatchObject({
      linkId: timed.uid,
      modifiedAt: '2026-05-01T10:00:00.000Z',
      fields: event({
        title: 'Review',
        description: 'numbers',
        start: '2026-05-04T09:00:00Z',
        end: '2026-05-04T10:30:00Z',
        reminderMinutes: 60,
        attendees: [{ email: 'ann@example.com', name: 'Ann', type: 'required' }],
      }),
    });
    expect(items.find((i) => i.id === String(allDay.id))).toMatchObject({
      linkId: 'm-link-1',
      fields: expect.objectContaining({
        allDay: true,
        start: '2026-05-06',
        end: '2026-05-08',
        reminderMinutes: null,
      }) as unknown,
    });
    expect(items.every((i) => i.readOnly === undefined)).toBe(true);
  });

  it('round-trips every recurrence type, singles and all-day through writes, with zero notifications', async () => {
    const s = side('9');
    const notifications = oro.calendar.notifications();
    const wanted: EventFields[] = [
      event({ title: 'single', attendees: [{ email: 'ann@example.com', name: 'Ann', type: 'optional' }] }),
      event({
        title: 'all day',
        allDay: true,
        start: '2026-05-20',
        end: '2026-05-22',
        reminderMinutes: null,
      }),
      series({ pattern: 'daily', interval: 2, end: { type: 'count', count: 10 } }, { title: 'daily' }),
      series(
        { pattern: 'weekly', daysOfWeek: ['monday', 'wednesday'], end: { type: 'date', date: '2026-07-01' } },
        { title: 'weekly' },
      ),
      series({ pattern: 'monthly', dayOfMonth: 11 }, { title: 'monthly' }),
      series(
        { pattern: 'monthnth', instance: 'second', daysOfWeek: ['monday'], end: { type: 'count', count: 5 } },
        { title: 'monthnth' },
      ),
      series({ pattern: 'yearly', interval: 2, month: 5, dayOfMonth: 11 }, { title: 'yearly' }),
      series(
        {
          pattern: 'yearnth',
          instance: 'second',
          daysOfWeek: ['monday'],
          month: 5,
          end: { type: 'count', count: 3 },
        },
        { title: 'yearnth' },
      ),
      series(
        { pattern: 'weekly', daysOfWeek: ['friday'], start: '2026-05-15', timeZone: 'UTC' },
        {
          title: 'all-day weekly',
          allDay: true,
          start: '2026-05-15',
          end: '2026-05-16',
          reminderMinutes: null,
        },
      ),
    ];
    const results = await s.write(
      wanted.map((fields, i) => ({ op: 'create' as const, side: 'oro' as const, linkId: `L-${i}`, fields })),
    );
    const ids = results.map(written);
    const read = upserts(await side('9').read(undefined, new Set()));
    for (const [i, fields] of wanted.entries()) {
      const item = read.find((r) => r.id === ids[i]);
      expect(item?.linkId).toBe(`L-${i}`);
      expect(item?.fields).toEqual(fields);
    }
    expect(oro.calendar.notifications()).toBe(notifications);
  });

  it('reads a series with moved and cancelled exceptions as one item; an exception change alone changes its version', async () => {
    const s = side('10');
    const master = oro.calendar.createEvent('10', {
      title: 'Standup',
      start: '2026-05-11T07:00:00Z',
      end: '2026-05-11T07:15:00Z',
      recurrence: {
        recurrenceType: 'daily',
        interval: 1,
        startTime: '2026-05-11T07:00:00Z',
        endTime: null,
        occurrences: 10,
        timeZone: 'Europe/Berlin',
      },
    });
    const moved = oro.calendar.createException(master.id, {
      originalStart: '2026-05-13T07:00:00Z',
      start: '2026-05-13T12:00:00Z',
      end: '2026-05-13T12:15:00Z',
    });
    oro.calendar.createException(master.id, { originalStart: '2026-05-15T07:00:00Z', isCancelled: true });
    // A row that repeats the pattern is no exception.
    oro.calendar.createException(master.id, { originalStart: '2026-05-16T07:00:00Z' });
    const first = await s.read(undefined, new Set());
    const [item] = upserts(first);
    expect(upserts(first)).toHaveLength(1);
    expect(item!.fields.exceptions).toEqual([
      {
        originalStart: '2026-05-13T07:00:00Z',
        cancelled: false,
        title: 'Standup',
        description: '',
        start: '2026-05-13T12:00:00Z',
        end: '2026-05-13T12:15:00Z',
        location: '',
      },
      { originalStart: '2026-05-15T07:00:00Z', cancelled: true },
    ]);

    settle();
    const quiet = await s.read(first.cursor, new Set([item!.id]));
    settle();
    oro.calendar.editEvent(moved.id, { title: 'Standup (late)' });
    const before = s.requests;
    const next = await s.read(quiet.cursor, new Set([item!.id]));
    const [changed] = upserts(next);
    expect(changed!.id).toBe(item!.id);
    expect(changed!.version).not.toBe(item!.version);
    expect(changed!.fields.exceptions[0]).toMatchObject({ title: 'Standup (late)' });
    // The window listing (it changed: the exception row's update time), the `updatedAt>`
    // listing, the master, the series' exception rows.
    expect(s.requests - before).toBe(4);
  });

  it('completes many changed series with one listing of the calendar, not one request each', async () => {
    const s = side('30');
    const masters = Array.from({ length: 25 }, (_, i) =>
      oro.calendar.createEvent('30', {
        title: `Series ${i}`,
        start: '2026-05-11T07:00:00Z',
        end: '2026-05-11T07:15:00Z',
        recurrence: {
          recurrenceType: 'daily',
          interval: 1,
          startTime: '2026-05-11T07:00:00Z',
          endTime: null,
          occurrences: 5,
          timeZone: 'UTC',
        },
      }),
    );
    const first = await s.read(undefined, new Set());
    const ids = new Set(upserts(first).map((u) => u.id));
    settle();
    const quiet = await s.read(first.cursor, ids);
    settle();
    for (const m of masters) {
      oro.calendar.createException(m.id, { originalStart: '2026-05-12T07:00:00Z', isCancelled: true });
    }
    const before = s.requests;
    const next = await s.read(quiet.cursor, ids);
    expect(upserts(next)).toHaveLength(25);
    for (const u of upserts(next)) {
      expect(u.fields.exceptions).toEqual([{ originalStart: '2026-05-12T07:00:00Z', cancelled: true }]);
    }
    // The changed rows, one listing of the calendar (one page), and the window listing.
    expect(s.requests - before).toBeLessThanOrEqual(3);
  });

  it('writes exceptions: created with the series, then moved, cancelled and restored by diff', async () => {
    const s = side('11');
    const notifications = oro.calendar.notifications();
    const attendees = [{ email: 'ann@example.com', name: 'Ann', type: 'required' as const }];
    const base = series(
      { end: { type: 'count', count: 10 } },
      { title: 'Sync', start: '2026-05-11T07:00:00Z', end: '2026-05-11T07:30:00Z', attendees },
    );
    const first: EventFields = {
      ...base,
      exceptions: [
        {
          originalStart: '2026-05-13T07:00:00Z',
          cancelled: false,
          title: 'Sync (moved)',
          description: 'agenda',
          start: '2026-05-13T11:00:00Z',
          end: '2026-05-13T11:30:00Z',
          location: '',
        },
        { originalStart: '2026-05-15T07:00:00Z', cancelled: true },
      ],
    };
    const id = written((await s.write([{ op: 'create', side: 'oro', linkId: 'X-1', fields: first }]))[0]!);
    expect(oro.calendar.events('11').filter((e) => e.recurringEventId === Number(id))).toHaveLength(2);

    const second: EventFields = {
      ...base,
      title: 'Sync 2',
      exceptions: [
        {
          ...(first.exceptions[0] as Extract<EventFields['exceptions'][number], { cancelled: false }>),
          title: 'Sync (late)',
        },
        { originalStart: '2026-05-17T07:00:00Z', cancelled: true },
      ],
    };
    const [updated] = await s.write([
      { op: 'update', side: 'oro', linkId: 'X-1', id, fields: second, changed: ['title', 'exceptions'] },
    ]);
    expect(updated).toMatchObject({ ok: true, id });
    const [item] = upserts(await side('11').read(undefined, new Set()));
    expect(item!.fields).toEqual(second);
    expect(oro.calendar.events('11').filter((e) => e.recurringEventId === Number(id))).toHaveLength(2);

    // A change of other fields leaves the exception rows alone: one PUT, no listing.
    const before = s.requests;
    const [renamed] = await s.write([
      {
        op: 'update',
        side: 'oro',
        linkId: 'X-1',
        id,
        fields: second,
        changed: ['title'],
      },
    ]);
    expect(renamed).toMatchObject({ ok: true, id });
    expect(s.requests - before).toBe(1);

    // A new pattern: Oro drops the old rows, the write puts the exceptions back.
    const third: EventFields = {
      ...second,
      recurrence: { ...second.recurrence!, end: { type: 'count', count: 12 } },
    };
    await s.write([{ op: 'update', side: 'oro', linkId: 'X-1', id, fields: third, changed: ['recurrence'] }]);
    expect(upserts(await side('11').read(undefined, new Set()))[0]!.fields).toEqual(third);
    expect(oro.calendar.notifications()).toBe(notifications);
  });

  it('reports an event the user only attends as read-only, and writes an invitation copied from Microsoft as one', async () => {
    oro.calendar.setUser('12', { email: 'megan@oro.example', name: 'Megan' });
    const invited = oro.calendar.createEvent('12', {
      title: 'Their meeting',
      start: '2026-05-12T09:00:00Z',
      end: '2026-05-12T10:00:00Z',
      organizerEmail: 'boss@example.com',
      organizerDisplayName: 'The Boss',
      attendees: [{ displayName: 'Megan', email: 'megan@oro.example', status: 'accepted', type: 'required' }],
    });
    const s = side('12');
    const copy = event({ title: 'From Outlook', organizer: { email: 'lead@example.com', name: 'Lead' } });
    const id = written((await s.write([{ op: 'create', side: 'oro', linkId: 'I-1', fields: copy }]))[0]!);
    const items = upserts(await s.read(undefined, new Set()));
    expect(items.find((i) => i.id === String(invited.id))).toMatchObject({
      readOnly: expect.stringContaining('The Boss') as unknown,
      fields: expect.objectContaining({
        organizer: { email: 'boss@example.com', name: 'The Boss' },
      }) as unknown,
    });
    expect(items.find((i) => i.id === id)?.readOnly).toEqual(expect.any(String));
    expect(items.find((i) => i.id === id)?.fields).toEqual(copy);
  });

  it('re-finds a create after a crash by its uid, and a second create of the same link id changes nothing', async () => {
    const s = side('13');
    const id = written(
      (await s.write([{ op: 'create', side: 'oro', linkId: 'crash-1', fields: event() }]))[0]!,
    );
    // The engine crashed before saving the link: the next read reports the link id.
    const [item] = upserts(await side('13').read(undefined, new Set()));
    expect(item).toMatchObject({ id, linkId: 'crash-1' });
    const [again] = await s.write([{ op: 'create', side: 'oro', linkId: 'crash-1', fields: event() }]);
    expect(again).toMatchObject({
      ok: false,
      retryable: false,
      error: expect.stringContaining('uid') as unknown,
    });
    expect(oro.calendar.events('13')).toHaveLength(1);
  });

  it('costs one request per idle read, linked events or not, and re-reads only unsettled seconds', async () => {
    for (let i = 0; i < 3; i++) {
      oro.calendar.createEvent('14', {
        title: `e${i}`,
        start: '2026-05-12T09:00:00Z',
        end: '2026-05-12T10:00:00Z',
      });
    }
    const s = side('14');
    const first = await s.read(undefined, new Set());
    const linked = new Set(upserts(first).map((i) => i.id));
    settle();
    // Created within the settle time of the first read: read once more.
    const second = await s.read(first.cursor, linked);
    expect(upserts(second)).toHaveLength(3);
    settle();
    let before = s.requests;
    const idle = await s.read(second.cursor, linked);
    expect(idle.changes).toEqual([]);
    // Only the window listing: the same as the last full read's, so nothing changed.
    expect(s.requests - before).toBe(1);
    before = s.requests;
    const again = await s.read(idle.cursor, linked);
    expect(again.changes).toEqual([]);
    expect(s.requests - before).toBe(1);
    before = s.requests;
    await s.read(again.cursor, new Set());
    expect(s.requests - before).toBe(1);
  });

  it('is quiet the run after a read from scratch with links (a first sync into an empty calendar read back)', async () => {
    const s = side('45');
    const empty = await s.read(undefined, new Set());
    expect(empty.changes).toEqual([]);
    // The first sync wrote these into Oro; the next read starts from scratch (no watermark).
    const linked = new Set(
      [1, 2, 3].map((i) =>
        String(
          oro.calendar.createEvent('45', {
            title: `w${i}`,
            start: '2026-05-12T09:00:00Z',
            end: '2026-05-12T10:00:00Z',
          }).id,
        ),
      ),
    );
    settle();
    let before = s.requests;
    const back = await s.read(empty.cursor, linked);
    expect(upserts(back)).toHaveLength(3);
    // The window listing, then the listing of every row.
    expect(s.requests - before).toBe(2);
    settle();
    before = s.requests;
    expect((await s.read(back.cursor, linked)).changes).toEqual([]);
    expect(s.requests - before).toBe(1);
  });

  it('sees an edit, a cancelled occurrence, a deletion and a new event in the window after idle runs of one request', async () => {
    const s = side('41');
    const single = oro.calendar.createEvent('41', {
      title: 'single',
      start: '2026-05-12T09:00:00Z',
      end: '2026-05-12T10:00:00Z',
    });
    const other = oro.calendar.createEvent('41', {
      title: 'other',
      start: '2026-05-13T09:00:00Z',
      end: '2026-05-13T10:00:00Z',
    });
    const master = oro.calendar.createEvent('41', {
      title: 'Standup',
      start: '2026-05-11T07:00:00Z',
      end: '2026-05-11T07:15:00Z',
      recurrence: {
        recurrenceType: 'daily',
        interval: 1,
        startTime: '2026-05-11T07:00:00Z',
        endTime: null,
        occurrences: 10,
        timeZone: 'Europe/Berlin',
      },
    });
    let cursor: string | undefined;
    let linked = new Set<string>();
    const run = async () => {
      const before = s.requests;
      const r = await s.read(cursor, linked);
      cursor = r.cursor;
      linked = new Set([...linked, ...upserts(r).map((i) => i.id)]);
      for (const id of deletes(r)) {
        linked.delete(id);
      }
      return { requests: s.requests - before, upserts: upserts(r), deletes: deletes(r) };
    };
    await run();
    settle();
    await run(); // the first read's last seconds, once more
    settle();
    const idle = async () => {
      settle();
      await run(); // the change's second, once more (it may have gained updates)
      settle();
      expect(await run()).toEqual({ requests: 1, upserts: [], deletes: [] });
      expect(await run()).toEqual({ requests: 1, upserts: [], deletes: [] });
      settle();
    };
    await idle();

    oro.calendar.editEvent(single.id, { title: 'single (edited)' });
    expect((await run()).upserts.map((i) => i.fields.title)).toEqual(['single (edited)']);
    await idle();

    // Oro hides a cancelled occurrence from the window listing, and so the listing changes.
    oro.calendar.createException(master.id, { originalStart: '2026-05-14T07:00:00Z', isCancelled: true });
    const cancelled = await run();
    expect(cancelled.upserts.map((i) => i.fields.exceptions)).toEqual([
      [{ originalStart: '2026-05-14T07:00:00Z', cancelled: true }],
    ]);
    await idle();

    oro.calendar.deleteEvent(other.id);
    expect((await run()).deletes).toEqual([String(other.id)]);
    await idle();

    oro.calendar.createEvent('41', {
      title: 'new',
      start: '2026-06-01T09:00:00Z',
      end: '2026-06-01T10:00:00Z',
    });
    expect((await run()).upserts.map((i) => i.fields.title)).toEqual(['new']);
    await idle();
  });

  it('reads again a second that may still gain updates: a second edit in the same second is not lost', async () => {
    const s = side('42');
    const e = oro.calendar.createEvent('42', {
      title: 'v0',
      start: '2026-05-12T09:00:00Z',
      end: '2026-05-12T10:00:00Z',
    });
    const linked = new Set([String(e.id)]);
    let cursor = (await s.read(undefined, linked)).cursor;
    settle();
    cursor = (await s.read(cursor, linked)).cursor;
    settle();
    oro.calendar.editEvent(e.id, { title: 'v1' });
    const first = await s.read(cursor, linked);
    expect(upserts(first).map((i) => i.fields.title)).toEqual(['v1']);
    // The same second again: the window listing looks as it did, but its row is newer
    // than the watermark, so the run reads the changes.
    oro.calendar.editEvent(e.id, { title: 'v2' });
    const second = await s.read(first.cursor, linked);
    expect(upserts(second).map((i) => i.fields.title)).toEqual(['v2']);
  });

  it('reads everything again at least every QUIET_RECHECK_MS: an exception edited outside the window arrives then', async () => {
    const s = side('43');
    const master = oro.calendar.createEvent('43', {
      title: 'Daily',
      start: '2026-01-12T07:00:00Z',
      end: '2026-01-12T07:15:00Z',
      recurrence: {
        recurrenceType: 'daily',
        interval: 1,
        startTime: '2026-01-12T07:00:00Z',
        endTime: null,
        timeZone: 'UTC',
      },
    });
    const exception = oro.calendar.createException(master.id, {
      originalStart: '2026-01-15T07:00:00Z',
      start: '2026-01-15T12:00:00Z',
      end: '2026-01-15T12:15:00Z',
    });
    const linked = new Set([String(master.id)]);
    let cursor = (await s.read(undefined, linked)).cursor;
    settle();
    cursor = (await s.read(cursor, linked)).cursor;
    settle();
    oro.calendar.editEvent(exception.id, { title: 'Daily (moved, renamed)' });
    settle();
    // Outside the window listing (January, the window starts in March): not seen yet.
    const before = s.requests;
    const quiet = await s.read(cursor, linked);
    expect(quiet.changes).toEqual([]);
    expect(s.requests - before).toBe(1);
    clock += QUIET_RECHECK_MS;
    try {
      const full = await s.read(quiet.cursor, linked);
      expect(
        upserts(full).map((i) => i.fields.exceptions.map((x) => (x.cancelled ? null : x.title))),
      ).toEqual([['Daily (moved, renamed)']]);
    } finally {
      clock -= QUIET_RECHECK_MS;
    }
  });

  it('reads on while the user hid their calendar in Oro (the window listing shows none of it): edits still arrive', async () => {
    const s = side('44');
    const e = oro.calendar.createEvent('44', {
      title: 'v0',
      start: '2026-05-12T09:00:00Z',
      end: '2026-05-12T10:00:00Z',
    });
    const linked = new Set([String(e.id)]);
    let cursor = (await s.read(undefined, linked)).cursor;
    const cost = async () => {
      settle();
      const before = s.requests;
      const r = await s.read(cursor, linked);
      cursor = r.cursor;
      return { requests: s.requests - before, titles: upserts(r).map((i) => i.fields.title) };
    };
    await cost();
    expect(await cost()).toEqual({ requests: 1, titles: [] });
    oro.calendar.setCalendarVisible('44', false);
    try {
      // The window listing, the updatedAt> listing, and the linked event not in the window
      // checked directly (then twice a day).
      expect(await cost()).toEqual({ requests: 3, titles: [] });
      expect(await cost()).toEqual({ requests: 2, titles: [] });
      oro.calendar.editEvent(e.id, { title: 'v1' });
      expect(await cost()).toEqual({ requests: 2, titles: ['v1'] });
    } finally {
      oro.calendar.setCalendarVisible('44', true);
    }
    await cost(); // the listing differs from the last full read's: read on, and recorded
    expect(await cost()).toEqual({ requests: 1, titles: [] });
  });

  it("keeps only the user's own rows of the window listing: a task id of the API user hides no deletion", async () => {
    // The start/end listing runs every calendar provider; the task provider adds the API
    // user's tasks, with task ids (OroCRMTaskBundle Provider/TaskCalendarProvider.php).
    const s = side('16');
    const gone = oro.calendar.createEvent('16', {
      title: 'gone',
      start: '2026-05-14T09:00:00Z',
      end: '2026-05-14T10:00:00Z',
    });
    let task = oro.createTask('1', { subject: 'API user task', dueDate: '2026-05-14T09:00:00Z' });
    while (Number(task.id) < gone.id) {
      task = oro.createTask('1', { subject: 'API user task', dueDate: '2026-05-14T09:00:00Z' });
    }
    expect(task.id).toBe(String(gone.id));
    const first = await s.read(undefined, new Set());
    settle();
    oro.calendar.deleteEvent(gone.id);
    const later = await s.read(first.cursor, new Set([String(gone.id)]));
    expect(deletes(later)).toEqual([String(gone.id)]);
  });

  it('does not report what left the window as deleted; reports what is really gone', async () => {
    const s = side('15');
    const stays = oro.calendar.createEvent('15', {
      title: 'stays',
      start: '2026-05-12T09:00:00Z',
      end: '2026-05-12T10:00:00Z',
    });
    const leaves = oro.calendar.createEvent('15', {
      title: 'leaves',
      start: '2026-05-13T09:00:00Z',
      end: '2026-05-13T10:00:00Z',
    });
    const gone = oro.calendar.createEvent('15', {
      title: 'gone',
      start: '2026-05-14T09:00:00Z',
      end: '2026-05-14T10:00:00Z',
    });
    oro.calendar.createEvent('15', {
      title: 'far away',
      start: '2028-01-01T09:00:00Z',
      end: '2028-01-01T10:00:00Z',
    });
    const first = await s.read(undefined, new Set());
    expect(
      upserts(first)
        .map((i) => i.fields.title)
        .sort(),
    ).toEqual(['gone', 'leaves', 'stays']);
    const linked = new Set([stays, leaves, gone].map((e) => String(e.id)));
    settle();
    oro.calendar.editEvent(leaves.id, { start: '2028-02-01T09:00:00Z', end: '2028-02-01T10:00:00Z' });
    const moved = await s.read(first.cursor, linked);
    expect(upserts(moved).map((i) => i.fields.title)).not.toContain('leaves');
    expect(deletes(moved)).toEqual([]);
    settle();
    oro.calendar.deleteEvent(gone.id);
    const later = await s.read(moved.cursor, linked);
    expect(deletes(later)).toEqual([String(gone.id)]);
    // Much later the window has moved past everything: nothing is deleted that still exists.
    clock += 400 * 86_400_000;
    const far = await s.read(later.cursor, new Set([String(stays.id), String(leaves.id)]));
    expect(deletes(far)).toEqual([]);
    clock -= 400 * 86_400_000;
  });

  it('checks many linked events outside the window with one full listing instead of one read each', async () => {
    const s = side('16');
    const ids = Array.from({ length: 25 }, (_, i) =>
      String(
        oro.calendar.createEvent('16', {
          title: `old ${i}`,
          start: '2025-01-01T09:00:00Z',
          end: '2025-01-01T10:00:00Z',
        }).id,
      ),
    );
    const first = await s.read(undefined, new Set(ids));
    expect(first.changes).toEqual([]);
    settle();
    oro.calendar.deleteEvent(Number(ids[0]));
    const before = s.requests;
    const next = await s.read(first.cursor, new Set(ids));
    expect(deletes(next)).toEqual([ids[0]]);
    expect(s.requests - before).toBe(3);
  });

  it('checks linked events outside the window twice a day while that set stays the same, not every run', async () => {
    const s = side('20');
    const old = oro.calendar.createEvent('20', {
      title: 'last year',
      start: '2025-05-01T09:00:00Z',
      end: '2025-05-01T10:00:00Z',
    });
    const linked = new Set([String(old.id)]);
    let cursor = (await s.read(undefined, linked)).cursor;
    const cost = async () => {
      const before = s.requests;
      const r = await s.read(cursor, linked);
      cursor = r.cursor;
      return { requests: s.requests - before, deletes: deletes(r) };
    };
    settle();
    await cost(); // the first read's last seconds, once more
    settle();
    // Listing, window listing, and a direct read of the linked event outside the window.
    expect(await cost()).toEqual({ requests: 3, deletes: [] });
    settle();
    expect(await cost()).toEqual({ requests: 2, deletes: [] });
    oro.calendar.deleteEvent(old.id);
    settle();
    expect(await cost()).toEqual({ requests: 2, deletes: [] });
    clock += 12 * 3_600_000;
    expect(await cost()).toEqual({ requests: 3, deletes: [String(old.id)] });
  });

  it('skips rows it cannot parse, with a note, and never takes them for deleted', async () => {
    const s = side('21');
    const single = oro.calendar.createEvent('21', {
      title: 'fine',
      start: '2026-05-12T09:00:00Z',
      end: '2026-05-12T10:00:00Z',
    });
    const master = oro.calendar.createEvent('21', {
      title: 'series',
      start: '2026-05-11T07:00:00Z',
      end: '2026-05-11T07:15:00Z',
      recurrence: {
        recurrenceType: 'daily',
        interval: 1,
        startTime: '2026-05-11T07:00:00Z',
        endTime: null,
        occurrences: 5,
        timeZone: 'UTC',
      },
    });
    const exception = oro.calendar.createException(master.id, {
      originalStart: '2026-05-12T07:00:00Z',
      title: 'moved',
    });
    const linked = new Set([String(single.id), String(master.id)]);
    const first = await s.read(undefined, linked);
    expect(upserts(first)).toHaveLength(2);
    settle();
    oro.calendar.editEvent(single.id, { allDay: 'yes' as never });
    oro.calendar.editEvent(exception.id, { title: 42 as never });
    const full = await s.read(undefined, linked);
    expect(full.changes).toEqual([]);
    expect(full.unmapped).toEqual([
      { id: String(single.id), reason: expect.stringContaining('allDay') as unknown },
      { id: String(master.id), reason: 'one of its exception rows could not be read' },
    ]);
    expect(s.readNotes).toHaveLength(3);
    expect(s.readNotes).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`${single.id} is not synced`),
        expect.stringContaining(`${exception.id} (an exception row) is not synced`),
        expect.stringContaining(`${master.id} is not synced: one of its exception rows`),
      ]),
    );
    const next = await s.read(first.cursor, linked);
    expect(deletes(next)).toEqual([]);
    expect(upserts(next)).toEqual([]);
  });

  it('fails a write whose exception Oro refuses for good, and one whose answer was lost for a retry that adopts it', async () => {
    const s = side('22');
    const bad: EventFields = {
      ...series({ end: { type: 'count', count: 3 } }),
      exceptions: [{ originalStart: '2026-05-11T08:00:00Z', cancelled: true }], // not an occurrence
    };
    const [refused] = await s.write([{ op: 'create', side: 'oro', linkId: 'B-1', fields: bad }]);
    expect(refused).toMatchObject({
      ok: false,
      retryable: false,
      error: expect.stringContaining('originalStart') as unknown,
    });

    oro.failNext('apply-then-drop');
    const [lost] = await s.write([
      { op: 'create', side: 'oro', linkId: 'D-1', fields: event({ title: 'dropped' }) },
    ]);
    expect(lost).toMatchObject({ ok: false, retryable: true });
    const found = upserts(await s.read(undefined, new Set())).find((i) => i.linkId === 'D-1');
    expect(found?.fields.title).toBe('dropped');
    expect(oro.calendar.events('22').filter((e) => e.uid === 'D-1')).toHaveLength(1);
  });

  it('reports series outside the window only while an occurrence is inside', async () => {
    const s = side('17');
    const recurrence = {
      recurrenceType: 'weekly' as const,
      interval: 1,
      dayOfWeek: ['monday'],
      startTime: '2026-01-05T09:00:00Z',
      endTime: null,
      occurrences: null,
      timeZone: 'UTC',
    };
    const ended = oro.calendar.createEvent('17', {
      title: 'ended',
      start: '2026-01-05T09:00:00Z',
      end: '2026-01-05T10:00:00Z',
      recurrence: { ...recurrence, occurrences: 3 },
    });
    const running = oro.calendar.createEvent('17', {
      title: 'running',
      start: '2026-01-05T09:00:00Z',
      end: '2026-01-05T10:00:00Z',
      recurrence,
    });
    const items = upserts(await s.read(undefined, new Set()));
    expect(items.map((i) => i.id)).toEqual([String(running.id)]);
    expect(ended.id).toBeGreaterThan(0);
  });

  it('refuses what Oro cannot hold and skips what it cannot map, saying why', async () => {
    const s = side('18');
    const [refused] = await s.write([
      {
        op: 'create',
        side: 'oro',
        linkId: 'U-1',
        fields: series({ pattern: 'monthnth', instance: 'first', daysOfWeek: ['monday', 'tuesday'] }),
      },
    ]);
    expect(refused).toMatchObject({
      ok: false,
      retryable: false,
      error: expect.stringContaining('one week day') as unknown,
    });
    expect(oro.calendar.events('18')).toEqual([]);
    // Written behind the API's back: a yearly interval Oro's own form would refuse.
    const odd = oro.calendar.createEvent('18', {
      title: 'every 18 months',
      start: '2026-05-11T07:00:00Z',
      end: '2026-05-11T08:00:00Z',
      recurrence: {
        recurrenceType: 'yearly',
        interval: 18,
        dayOfMonth: 11,
        monthOfYear: 5,
        startTime: '2026-05-11T07:00:00Z',
        endTime: null,
        timeZone: 'UTC',
      },
    });
    const read = await s.read(undefined, new Set());
    expect(read.changes).toEqual([]);
    expect(read.unmapped).toEqual([
      { id: String(odd.id), reason: expect.stringContaining('18 months') as unknown },
    ]);
    expect(s.readNotes).toEqual([expect.stringMatching(new RegExp(`${odd.id}.*18 months`))]);
  });

  it('turns faults into SideErrors or failed writes: 500, 429 with Retry-After, no answer', async () => {
    const s = side('19');
    await s.read(undefined, new Set()); // finds the calendar
    oro.failNext('error-500');
    await expect(s.read(undefined, new Set())).rejects.toMatchObject({
      name: 'SideError',
      retryable: true,
      status: 500,
    });
    sleeps.length = 0;
    oro.failNext('throttle-429');
    await expect(s.read(undefined, new Set())).resolves.toMatchObject({ full: true });
    expect(sleeps).toEqual([1000]);
    const slow = side('19', 300);
    await slow.read(undefined, new Set());
    oro.failNext('hang');
    const hung = slow.read(undefined, new Set());
    await expect(hung).rejects.toBeInstanceOf(SideError);
    await expect(hung).rejects.toThrow(/no answer within 300 ms/);
    oro.failNext('error-500');
    const [failed] = await s.write([{ op: 'create', side: 'oro', linkId: 'F-1', fields: event() }]);
    expect(failed).toMatchObject({ ok: false, retryable: true });
    expect(oro.calendar.events('19')).toEqual([]);
    const [gone] = await s.write([{ op: 'delete', side: 'oro', linkId: 'F-1', id: '987654' }]);
    expect(gone).toEqual({ ok: true, id: '987654', version: '' });
  });
});
