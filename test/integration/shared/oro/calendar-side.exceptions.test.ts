import type { EventFields } from '../../../../shared/sync/calendar/event-mapping';
import { event, series, upserts, written, useOroCalendar } from '../../../support/oro-calendar-side';

describe('Oro calendar side against the Oro simulator', () => {
  const t = useOroCalendar();
  const { side, settle } = t;

  it('reads a series with moved and cancelled exceptions as one item; an exception change alone changes its version', async () => {
    const s = side('10');
    const master = t.oro.calendar.createEvent('10', {
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
    const moved = t.oro.calendar.createException(master.id, {
      originalStart: '2026-05-13T07:00:00Z',
      start: '2026-05-13T12:00:00Z',
      end: '2026-05-13T12:15:00Z',
    });
    t.oro.calendar.createException(master.id, { originalStart: '2026-05-15T07:00:00Z', isCancelled: true });
    // A row that repeats the pattern is no exception.
    t.oro.calendar.createException(master.id, { originalStart: '2026-05-16T07:00:00Z' });
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
    t.oro.calendar.editEvent(moved.id, { title: 'Standup (late)' });
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

  it('writes exceptions: created with the series, then moved, cancelled and restored by diff', async () => {
    const s = side('11');
    const notifications = t.oro.calendar.notifications();
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
    expect(t.oro.calendar.events('11').filter((e) => e.recurringEventId === Number(id))).toHaveLength(2);

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
    expect(t.oro.calendar.events('11').filter((e) => e.recurringEventId === Number(id))).toHaveLength(2);

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
    expect(t.oro.calendar.notifications()).toBe(notifications);
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

    t.oro.failNext('apply-then-drop');
    const [lost] = await s.write([
      { op: 'create', side: 'oro', linkId: 'D-1', fields: event({ title: 'dropped' }) },
    ]);
    expect(lost).toMatchObject({ ok: false, retryable: true });
    const found = upserts(await s.read(undefined, new Set())).find((i) => i.linkId === 'D-1');
    expect(found?.fields.title).toBe('dropped');
    expect(t.oro.calendar.events('22').filter((e) => e.uid === 'D-1')).toHaveLength(1);
  });
});
