import { QUIET_RECHECK_MS } from '../../../../shared/oro/calendar-side';
import { upserts, deletes, useOroCalendar } from '../../../support/oro-calendar-side';

describe('Oro calendar side against the Oro simulator', () => {
  const t = useOroCalendar();
  const { side, settle } = t;

  it('costs one request per idle read, linked events or not, and re-reads only unsettled seconds', async () => {
    for (let i = 0; i < 3; i++) {
      t.oro.calendar.createEvent('14', {
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
          t.oro.calendar.createEvent('45', {
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
    const single = t.oro.calendar.createEvent('41', {
      title: 'single',
      start: '2026-05-12T09:00:00Z',
      end: '2026-05-12T10:00:00Z',
    });
    const other = t.oro.calendar.createEvent('41', {
      title: 'other',
      start: '2026-05-13T09:00:00Z',
      end: '2026-05-13T10:00:00Z',
    });
    const master = t.oro.calendar.createEvent('41', {
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

    t.oro.calendar.editEvent(single.id, { title: 'single (edited)' });
    expect((await run()).upserts.map((i) => i.fields.title)).toEqual(['single (edited)']);
    await idle();

    // Oro hides a cancelled occurrence from the window listing, and so the listing changes.
    t.oro.calendar.createException(master.id, { originalStart: '2026-05-14T07:00:00Z', isCancelled: true });
    const cancelled = await run();
    expect(cancelled.upserts.map((i) => i.fields.exceptions)).toEqual([
      [{ originalStart: '2026-05-14T07:00:00Z', cancelled: true }],
    ]);
    await idle();

    t.oro.calendar.deleteEvent(other.id);
    expect((await run()).deletes).toEqual([String(other.id)]);
    await idle();

    t.oro.calendar.createEvent('41', {
      title: 'new',
      start: '2026-06-01T09:00:00Z',
      end: '2026-06-01T10:00:00Z',
    });
    expect((await run()).upserts.map((i) => i.fields.title)).toEqual(['new']);
    await idle();
  });

  it('reads again a second that may still gain updates: a second edit in the same second is not lost', async () => {
    const s = side('42');
    const e = t.oro.calendar.createEvent('42', {
      title: 'v0',
      start: '2026-05-12T09:00:00Z',
      end: '2026-05-12T10:00:00Z',
    });
    const linked = new Set([String(e.id)]);
    let cursor = (await s.read(undefined, linked)).cursor;
    settle();
    cursor = (await s.read(cursor, linked)).cursor;
    settle();
    t.oro.calendar.editEvent(e.id, { title: 'v1' });
    const first = await s.read(cursor, linked);
    expect(upserts(first).map((i) => i.fields.title)).toEqual(['v1']);
    // The same second again: the window listing looks as it did, but its row is newer
    // than the watermark, so the run reads the changes.
    t.oro.calendar.editEvent(e.id, { title: 'v2' });
    const second = await s.read(first.cursor, linked);
    expect(upserts(second).map((i) => i.fields.title)).toEqual(['v2']);
  });

  it('reads everything again at least every QUIET_RECHECK_MS: an exception edited outside the window arrives then', async () => {
    const s = side('43');
    const master = t.oro.calendar.createEvent('43', {
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
    const exception = t.oro.calendar.createException(master.id, {
      originalStart: '2026-01-15T07:00:00Z',
      start: '2026-01-15T12:00:00Z',
      end: '2026-01-15T12:15:00Z',
    });
    const linked = new Set([String(master.id)]);
    let cursor = (await s.read(undefined, linked)).cursor;
    settle();
    cursor = (await s.read(cursor, linked)).cursor;
    settle();
    t.oro.calendar.editEvent(exception.id, { title: 'Daily (moved, renamed)' });
    settle();
    // Outside the window listing (January, the window starts in March): not seen yet.
    const before = s.requests;
    const quiet = await s.read(cursor, linked);
    expect(quiet.changes).toEqual([]);
    expect(s.requests - before).toBe(1);
    t.clock += QUIET_RECHECK_MS;
    try {
      const full = await s.read(quiet.cursor, linked);
      expect(
        upserts(full).map((i) => i.fields.exceptions.map((x) => (x.cancelled ? null : x.title))),
      ).toEqual([['Daily (moved, renamed)']]);
    } finally {
      t.clock -= QUIET_RECHECK_MS;
    }
  });

  it('reads on while the user hid their calendar in Oro (the window listing shows none of it): edits still arrive', async () => {
    const s = side('44');
    const e = t.oro.calendar.createEvent('44', {
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
    t.oro.calendar.setCalendarVisible('44', false);
    try {
      // The window listing, the updatedAt> listing, and the linked event not in the window
      // checked directly (then twice a day).
      expect(await cost()).toEqual({ requests: 3, titles: [] });
      expect(await cost()).toEqual({ requests: 2, titles: [] });
      t.oro.calendar.editEvent(e.id, { title: 'v1' });
      expect(await cost()).toEqual({ requests: 2, titles: ['v1'] });
    } finally {
      t.oro.calendar.setCalendarVisible('44', true);
    }
    await cost(); // the listing differs from the last full read's: read on, and recorded
    expect(await cost()).toEqual({ requests: 1, titles: [] });
  });

  it("keeps only the user's own rows of the window listing: a task id of the API user hides no deletion", async () => {
    // The start/end listing runs every calendar provider; the task provider adds the API
    // user's tasks, with task ids (OroCRMTaskBundle Provider/TaskCalendarProvider.php).
    const s = side('16');
    const gone = t.oro.calendar.createEvent('16', {
      title: 'gone',
      start: '2026-05-14T09:00:00Z',
      end: '2026-05-14T10:00:00Z',
    });
    let task = t.oro.createTask('1', { subject: 'API user task', dueDate: '2026-05-14T09:00:00Z' });
    while (Number(task.id) < gone.id) {
      task = t.oro.createTask('1', { subject: 'API user task', dueDate: '2026-05-14T09:00:00Z' });
    }
    expect(task.id).toBe(String(gone.id));
    const first = await s.read(undefined, new Set());
    settle();
    t.oro.calendar.deleteEvent(gone.id);
    const later = await s.read(first.cursor, new Set([String(gone.id)]));
    expect(deletes(later)).toEqual([String(gone.id)]);
  });

  it('does not report what left the window as deleted; reports what is really gone', async () => {
    const s = side('15');
    const stays = t.oro.calendar.createEvent('15', {
      title: 'stays',
      start: '2026-05-12T09:00:00Z',
      end: '2026-05-12T10:00:00Z',
    });
    const leaves = t.oro.calendar.createEvent('15', {
      title: 'leaves',
      start: '2026-05-13T09:00:00Z',
      end: '2026-05-13T10:00:00Z',
    });
    const gone = t.oro.calendar.createEvent('15', {
      title: 'gone',
      start: '2026-05-14T09:00:00Z',
      end: '2026-05-14T10:00:00Z',
    });
    t.oro.calendar.createEvent('15', {
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
    t.oro.calendar.editEvent(leaves.id, { start: '2028-02-01T09:00:00Z', end: '2028-02-01T10:00:00Z' });
    const moved = await s.read(first.cursor, linked);
    expect(upserts(moved).map((i) => i.fields.title)).not.toContain('leaves');
    expect(deletes(moved)).toEqual([]);
    settle();
    t.oro.calendar.deleteEvent(gone.id);
    const later = await s.read(moved.cursor, linked);
    expect(deletes(later)).toEqual([String(gone.id)]);
    // Much later the window has moved past everything: nothing is deleted that still exists.
    t.clock += 400 * 86_400_000;
    const far = await s.read(later.cursor, new Set([String(stays.id), String(leaves.id)]));
    expect(deletes(far)).toEqual([]);
    t.clock -= 400 * 86_400_000;
  });

  it('checks many linked events outside the window with one full listing instead of one read each', async () => {
    const s = side('16');
    const ids = Array.from({ length: 25 }, (_, i) =>
      String(
        t.oro.calendar.createEvent('16', {
          title: `old ${i}`,
          start: '2025-01-01T09:00:00Z',
          end: '2025-01-01T10:00:00Z',
        }).id,
      ),
    );
    const first = await s.read(undefined, new Set(ids));
    expect(first.changes).toEqual([]);
    settle();
    t.oro.calendar.deleteEvent(Number(ids[0]));
    const before = s.requests;
    const next = await s.read(first.cursor, new Set(ids));
    expect(deletes(next)).toEqual([ids[0]]);
    expect(s.requests - before).toBe(3);
  });

  it('checks linked events outside the window twice a day while that set stays the same, not every run', async () => {
    const s = side('20');
    const old = t.oro.calendar.createEvent('20', {
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
    t.oro.calendar.deleteEvent(old.id);
    settle();
    expect(await cost()).toEqual({ requests: 2, deletes: [] });
    t.clock += 12 * 3_600_000;
    expect(await cost()).toEqual({ requests: 3, deletes: [String(old.id)] });
  });
});
