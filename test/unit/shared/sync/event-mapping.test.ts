import {
  busyOnly,
  completeOroFields,
  fieldsToGraphEvent,
  fieldsToOroEvent,
  graphEventToFields,
  isPrivate,
  oroEventToFields,
  PRIVATE_TITLE,
  type EventFields,
  type GraphEvent,
  type OroEvent,
} from '../../../../shared/sync/calendar/event-mapping';

const ok = <T>(m: { ok: T; notes: string[] } | { unsupported: string }): T => {
  if ('unsupported' in m) {
    throw new Error(`unexpectedly unsupported: ${m.unsupported}`);
  }
  return m.ok;
};

const oroTimed: OroEvent = {
  id: 7,
  uid: 'b1d6…',
  title: 'Quarterly review',
  description: 'Bring numbers',
  start: '2026-03-12T09:00:00+00:00',
  end: '2026-03-12T10:30:00+00:00',
  allDay: false,
  reminders: [{ method: 'web_socket', interval: { number: 15, unit: 'M' } }],
  attendees: [
    { displayName: 'Zoe', email: 'Zoe@Example.com', status: 'none', type: 'required' },
    { displayName: 'Adam', email: 'adam@example.com', status: 'none', type: 'optional' },
    { displayName: 'Me', email: 'me@example.com', status: 'accepted', type: 'organizer' },
  ],
};

describe('event mapping', () => {
  it('maps a timed Oro event to instants, attendees sorted, the organizer left out', () => {
    expect(ok(oroEventToFields(oroTimed))).toEqual({
      title: 'Quarterly review',
      description: 'Bring numbers',
      allDay: false,
      start: '2026-03-12T09:00:00Z',
      end: '2026-03-12T10:30:00Z',
      reminderMinutes: 15,
      location: '',
      attendees: [
        { email: 'adam@example.com', name: 'Adam', type: 'optional' },
        { email: 'zoe@example.com', name: 'Zoe', type: 'required' },
      ],
      recurrence: null,
      exceptions: [],
      organizer: null,
      showAs: 'busy',
    });
  });

  it("names the organizer only when the user attends someone else's event", () => {
    const invited: OroEvent = {
      ...oroTimed,
      isOrganizer: false,
      organizerEmail: 'Boss@Example.com',
      organizerDisplayName: 'Boss',
    };
    expect(ok(oroEventToFields(invited)).organizer).toEqual({ email: 'boss@example.com', name: 'Boss' });
    const graph: GraphEvent = {
      id: 'AAMk',
      start: { dateTime: '2026-03-12T10:00:00.0000000', timeZone: 'UTC' },
      end: { dateTime: '2026-03-12T11:00:00.0000000', timeZone: 'UTC' },
      isOrganizer: false,
      organizer: { emailAddress: { name: 'Boss', address: 'boss@example.com' } },
    };
    expect(ok(graphEventToFields(graph)).organizer).toEqual({ email: 'boss@example.com', name: 'Boss' });
    expect(ok(graphEventToFields({ ...graph, isOrganizer: true })).organizer).toBeNull();
  });

  it('reads a Graph event in its own zone (Windows name) as the same instants', () => {
    const graph: GraphEvent = {
      id: 'AAMk',
      subject: 'Quarterly review',
      body: { contentType: 'html', content: '<p>Bring numbers</p>' },
      start: { dateTime: '2026-03-12T10:00:00.0000000', timeZone: 'W. Europe Standard Time' },
      end: { dateTime: '2026-03-12T11:30:00.0000000', timeZone: 'W. Europe Standard Time' },
      isAllDay: false,
      isReminderOn: true,
      reminderMinutesBeforeStart: 15,
      attendees: [
        { type: 'required', emailAddress: { name: 'Zoe', address: 'zoe@example.com' } },
        { type: 'optional', emailAddress: { name: 'Adam', address: 'adam@example.com' } },
      ],
    };
    expect(ok(graphEventToFields(graph))).toEqual(ok(oroEventToFields(oroTimed)));
  });

  it('keeps all-day events on their dates, whatever the zones', () => {
    const graph: GraphEvent = {
      id: 'x',
      subject: 'Holiday',
      start: { dateTime: '2026-12-24T00:00:00.0000000', timeZone: 'Pacific Standard Time' },
      end: { dateTime: '2026-12-27T00:00:00.0000000', timeZone: 'Pacific Standard Time' },
      isAllDay: true,
    };
    const fields = ok(graphEventToFields(graph));
    expect(fields).toMatchObject({
      allDay: true,
      start: '2026-12-24',
      end: '2026-12-27',
      reminderMinutes: null,
    });
    const oro = ok(fieldsToOroEvent(fields));
    expect(oro).toMatchObject({
      allDay: true,
      start: '2026-12-24T00:00:00+00:00',
      end: '2026-12-27T00:00:00+00:00',
    });
    expect(
      ok(
        oroEventToFields({
          id: 1,
          title: 'Holiday',
          allDay: true,
          start: String(oro.start),
          end: String(oro.end),
        }),
      ),
    ).toEqual(fields);
    // An Oro all-day end inside the last day means the same three days.
    expect(
      ok(
        oroEventToFields({
          id: 1,
          title: 'Holiday',
          allDay: true,
          start: '2026-12-24T00:00:00+00:00',
          end: '2026-12-26T23:59:59+00:00',
        }),
      ).end,
    ).toBe('2026-12-27');
  });

  it('round-trips through Graph: a single event in UTC, a series in its own zone', () => {
    const single = ok(oroEventToFields(oroTimed));
    const body = fieldsToGraphEvent(single) as unknown as GraphEvent;
    expect(body.start).toEqual({ dateTime: '2026-03-12T09:00:00.0000000', timeZone: 'UTC' });
    expect(ok(graphEventToFields({ ...body, id: 'x' }))).toEqual(single);

    const series: EventFields = {
      ...single,
      recurrence: {
        pattern: 'weekly',
        interval: 1,
        daysOfWeek: ['thursday'],
        start: '2026-03-12',
        end: { type: 'count', count: 10 },
        timeZone: 'Europe/Berlin',
      },
    };
    const seriesBody = fieldsToGraphEvent(series) as unknown as GraphEvent;
    // 09:00Z is 10:00 in Berlin in March: the series is anchored to 10:00 local, across DST.
    expect(seriesBody.start).toEqual({
      dateTime: '2026-03-12T10:00:00.0000000',
      timeZone: 'W. Europe Standard Time',
    });
    expect(ok(graphEventToFields({ ...seriesBody, id: 'y' }))).toEqual(series);
  });

  it('round-trips through Oro, with the earliest of several reminders noted', () => {
    const many = oroEventToFields({
      ...oroTimed,
      reminders: [
        { method: 'email', interval: { number: 1, unit: 'H' } },
        { method: 'web_socket', interval: { number: 10, unit: 'M' } },
      ],
    });
    expect(many).toMatchObject({ ok: { reminderMinutes: 60 }, notes: [expect.stringContaining('earliest')] });
    const fields = ok(oroEventToFields(oroTimed));
    const back = ok(fieldsToOroEvent(fields));
    expect(ok(oroEventToFields({ id: 7, ...(back as Omit<OroEvent, 'id'>) }))).toEqual(fields);
  });

  it("writes date-times as Oro's own clients do: whole seconds, +00:00, and no end date for a count", () => {
    // OroCalendarBundle Tests/Functional/ControllerRestApi/BasicCrudTest.php sends
    // '2016-10-14T22:00:00+00:00'; event-recurrence-model.js defaults endTime to null.
    const single = ok(oroEventToFields(oroTimed));
    const fields: EventFields = {
      ...single,
      start: '2026-03-12T09:00:00.250Z',
      end: '2026-03-12T10:00:00Z',
      recurrence: {
        pattern: 'daily',
        interval: 1,
        start: '2026-03-12',
        end: { type: 'count', count: 3 },
        timeZone: 'UTC',
      },
    };
    const body = ok(fieldsToOroEvent(fields));
    expect(body).toMatchObject({ start: '2026-03-12T09:00:00+00:00', end: '2026-03-12T10:00:00+00:00' });
    expect(body.recurrence).toMatchObject({
      startTime: '2026-03-12T09:00:00+00:00',
      endTime: null,
      occurrences: 3,
    });
  });

  it('reports a series Oro cannot hold instead of writing a different one', () => {
    const graph: GraphEvent = {
      id: 'z',
      subject: 'First weekday of the month',
      start: { dateTime: '2026-03-02T09:00:00.0000000', timeZone: 'UTC' },
      end: { dateTime: '2026-03-02T09:30:00.0000000', timeZone: 'UTC' },
      recurrence: {
        pattern: {
          type: 'relativeMonthly',
          interval: 1,
          daysOfWeek: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'],
          index: 'first',
        },
        range: { type: 'noEnd', startDate: '2026-03-02' },
      },
    };
    expect(fieldsToOroEvent(ok(graphEventToFields(graph)))).toEqual({
      unsupported: expect.stringContaining('exactly one week day') as unknown,
    });
  });

  it('completes what Oro cannot hold (location, resource attendees) from the agreed fields', () => {
    const agreed: EventFields = {
      ...ok(oroEventToFields(oroTimed)),
      location: 'Room 4',
      attendees: [
        { email: 'beamer@example.com', name: 'Beamer', type: 'resource' },
        { email: 'zoe@example.com', name: 'Zoe', type: 'required' },
      ],
      exceptions: [
        {
          originalStart: '2026-03-19T09:00:00Z',
          cancelled: false,
          title: 'Moved',
          description: '',
          start: '2026-03-19T11:00:00Z',
          end: '2026-03-19T12:30:00Z',
          location: 'Room 5',
        },
      ],
    };
    const fromOro: EventFields = {
      ...agreed,
      title: 'Renamed in Oro',
      location: '',
      attendees: agreed.attendees.map((a) => ({ ...a, type: 'required' as const })),
      exceptions: agreed.exceptions.map((e) => ({ ...e, location: '' }) as typeof e),
    };
    expect(completeOroFields(fromOro, agreed)).toEqual({ ...agreed, title: 'Renamed in Oro' });
  });

  it('maps showAs from Graph, writes it back (never "unknown"), and Oro, which has no free/busy, keeps the agreed one', () => {
    const g = (showAs: string | undefined): GraphEvent => ({
      id: 'AAMk1',
      subject: 'Offsite',
      start: { dateTime: '2026-03-12T09:00:00.0000000', timeZone: 'UTC' },
      end: { dateTime: '2026-03-12T10:00:00.0000000', timeZone: 'UTC' },
      ...(showAs === undefined ? {} : { showAs }),
    });
    for (const v of ['free', 'tentative', 'busy', 'oof', 'workingElsewhere'] as const) {
      const fields = ok(graphEventToFields(g(v)));
      expect(fields.showAs).toBe(v);
      expect(fieldsToGraphEvent(fields)).toMatchObject({ showAs: v });
    }
    expect(ok(graphEventToFields(g(undefined))).showAs).toBe('busy');
    expect(ok(graphEventToFields(g('somethingNew'))).showAs).toBe('busy');
    expect(fieldsToGraphEvent(ok(graphEventToFields(g('unknown'))))).not.toHaveProperty('showAs');
    // Oro reads every event as busy; the side completes it from the agreed version.
    const fromOro = ok(oroEventToFields(oroTimed));
    expect(fromOro.showAs).toBe('busy');
    expect(completeOroFields(fromOro, { ...fromOro, showAs: 'oof' }).showAs).toBe('oof');
    expect(ok(fieldsToOroEvent({ ...fromOro, showAs: 'oof' }))).not.toHaveProperty('showAs');
  });

  it('reduces a private event to busy time: its times, recurrence and free/busy, nothing it says', () => {
    expect(['private', 'confidential'].map(isPrivate)).toEqual([true, true]);
    expect(['normal', 'personal', undefined, null].map(isPrivate)).toEqual([false, false, false, false]);
    const secret: EventFields = {
      ...ok(oroEventToFields(oroTimed)),
      location: 'Clinic',
      organizer: { email: 'dr@example.com', name: 'Dr. Who' },
      showAs: 'oof',
      exceptions: [
        {
          originalStart: '2026-03-19T09:00:00Z',
          cancelled: false,
          title: 'Therapy (moved)',
          description: 'room 2',
          start: '2026-03-19T11:00:00Z',
          end: '2026-03-19T12:30:00Z',
          location: 'Clinic B',
        },
        { originalStart: '2026-03-26T09:00:00Z', cancelled: true },
      ],
    };
    expect(busyOnly(secret)).toEqual({
      ...secret,
      title: PRIVATE_TITLE,
      description: '',
      location: '',
      attendees: [],
      organizer: null,
      exceptions: [
        { ...secret.exceptions[0], title: PRIVATE_TITLE, description: '', location: '' },
        secret.exceptions[1],
      ],
    });
  });
});
