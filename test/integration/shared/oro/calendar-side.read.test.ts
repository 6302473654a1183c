import type { EventFields } from '../../../../shared/sync/calendar/event-mapping';
import { event, series, upserts, written, useOroCalendar } from '../../../support/oro-calendar-side';

describe('Oro calendar side against the Oro simulator', () => {
  const t = useOroCalendar();
  const { side, settle } = t;

  it("reads single timed and all-day events of the user's calendar, with the uid as link id", async () => {
    t.oro.calendar.setUser('7', { email: 'john@t.oro.example', name: 'John Doe' });
    t.oro.calendar.defaultCalendar('8');
    const timed = t.oro.calendar.createEvent('7', {
      title: 'Review',
      description: 'numbers',
      start: '2026-05-04T09:00:00Z',
      end: '2026-05-04T10:30:00Z',
      reminders: [{ method: 'email', interval: { number: 1, unit: 'H' } }],
      attendees: [{ displayName: 'Ann', email: 'Ann@Example.com', status: 'none', type: 'required' }],
    });
    const allDay = t.oro.calendar.createEvent('7', {
      title: 'Offsite',
      allDay: true,
      start: '2026-05-06T00:00:00+00:00',
      end: '2026-05-08T00:00:00+00:00',
      uid: 'm-link-1',
    });
    t.oro.calendar.createEvent('8', {
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
    const notifications = t.oro.calendar.notifications();
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
    expect(t.oro.calendar.notifications()).toBe(notifications);
  });

  it('completes many changed series with one listing of the calendar, not one request each', async () => {
    const s = side('30');
    const masters = Array.from({ length: 25 }, (_, i) =>
      t.oro.calendar.createEvent('30', {
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
      t.oro.calendar.createException(m.id, { originalStart: '2026-05-12T07:00:00Z', isCancelled: true });
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

  it('reports an event the user only attends as read-only, and writes an invitation copied from Microsoft as one', async () => {
    t.oro.calendar.setUser('12', { email: 'megan@t.oro.example', name: 'Megan' });
    const invited = t.oro.calendar.createEvent('12', {
      title: 'Their meeting',
      start: '2026-05-12T09:00:00Z',
      end: '2026-05-12T10:00:00Z',
      organizerEmail: 'boss@example.com',
      organizerDisplayName: 'The Boss',
      attendees: [
        { displayName: 'Megan', email: 'megan@t.oro.example', status: 'accepted', type: 'required' },
      ],
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
    expect(t.oro.calendar.events('13')).toHaveLength(1);
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
    const ended = t.oro.calendar.createEvent('17', {
      title: 'ended',
      start: '2026-01-05T09:00:00Z',
      end: '2026-01-05T10:00:00Z',
      recurrence: { ...recurrence, occurrences: 3 },
    });
    const running = t.oro.calendar.createEvent('17', {
      title: 'running',
      start: '2026-01-05T09:00:00Z',
      end: '2026-01-05T10:00:00Z',
      recurrence,
    });
    const items = upserts(await s.read(undefined, new Set()));
    expect(items.map((i) => i.id)).toEqual([String(running.id)]);
    expect(ended.id).toBeGreaterThan(0);
  });
});
