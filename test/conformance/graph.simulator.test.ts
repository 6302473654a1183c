import { trustInThisProcess } from '../../dev/microsoft/certificate';
import { startMicrosoftSimulator, type MicrosoftSimulator } from '../../dev/microsoft/simulator';

/**
 * Graph v1.0 conformance. Published request/response examples of Microsoft's Graph
 * documentation (our own transcriptions, shortened; each case names its page under
 * learn.microsoft.com) are replayed twice: against the Graph simulator (does it answer as
 * the page shows?) and, served as they are by a replay server, to our adapters (do they
 * read what the page shows?).
 */

const USER = 'megan.bowen@contoso.example';
const SEVEN_DIGITS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}$/;
const SEVEN_DIGITS_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$/;

type Json = Record<string, unknown>;

// ---- the simulator answers as the pages show -------------------------------------

describe('Graph simulator answers as the Graph v1.0 docs show', () => {
  let sim: MicrosoftSimulator;
  let token: string;
  beforeAll(async () => {
    sim = await startMicrosoftSimulator();
    trustInThisProcess(sim.certificate);
    token = await sim.graphToken(USER);
  });
  afterAll(() => sim.close());

  const get = async (pathOrUrl: string, prefer?: string) => {
    const res = await fetch(pathOrUrl.startsWith('https:') ? pathOrUrl : `${sim.graphUrl}/v1.0${pathOrUrl}`, {
      headers: { Authorization: `Bearer ${token}`, ...(prefer ? { Prefer: prefer } : {}) },
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
  };

  it('/graph/delta-query-events: a round in pages of 2 (lower-case startdatetime), items typed, 7-digit times with their zone', async () => {
    const cal = sim.calendar(USER);
    for (const [subject, start, end] of [
      ['Plan shopping list', '2016-12-09T20:30:00', '2016-12-09T22:00:00'],
      ['Pick up car', '2016-12-10T01:00:00', '2016-12-10T02:00:00'],
      ['Get food', '2016-12-10T19:30:00', '2016-12-10T21:30:00'],
      ['Prepare food', '2016-12-10T22:00:00', '2016-12-11T00:00:00'],
      ['Rest!', '2016-12-12T02:00:00', '2016-12-12T07:30:00'],
    ]) {
      cal.create({
        subject,
        start: { dateTime: start, timeZone: 'UTC' },
        end: { dateTime: end, timeZone: 'UTC' },
      });
    }
    // The page's request, as published (parameter names in lower case).
    const pages: Json[] = [];
    let next: string | undefined =
      '/me/calendarView/delta?startdatetime=2016-12-01T00:00:00Z&enddatetime=2016-12-30T00:00:00Z';
    while (next) {
      const page = await get(next, 'odata.maxpagesize=2');
      expect(page.status).toBe(200);
      pages.push(page.body);
      next = page.body['@odata.nextLink'] as string | undefined;
      if (next) {
        expect(next).toMatch(/\/v1\.0\/me\/calendarView\/delta\?\$skiptoken=/);
      }
    }
    expect(pages.map((p) => (p.value as Json[]).length)).toEqual([2, 2, 1]);
    expect(pages.at(-1)!['@odata.deltaLink']).toMatch(/\/v1\.0\/me\/calendarView\/delta\?\$deltatoken=/);
    expect(pages[0]!['@odata.context']).toBe('https://graph.microsoft.com/v1.0/$metadata#Collection(event)');
    const first = (pages[0]!.value as Json[])[0]!;
    // The keys of the page's items, and of event-delta's example item.
    expect(Object.keys(first)).toEqual(
      expect.arrayContaining([
        '@odata.type',
        '@odata.etag',
        'subject',
        'body',
        'start',
        'end',
        'attendees',
        'organizer',
        'id',
        'originalStartTimeZone',
        'originalEndTimeZone',
        'responseStatus',
        'transactionId',
        'iCalUId',
        'reminderMinutesBeforeStart',
        'isDraft',
        'isReminderOn',
      ]),
    );
    expect(first).toMatchObject({
      '@odata.type': '#microsoft.graph.event',
      '@odata.etag': expect.stringMatching(/^W\/"/) as string,
      subject: 'Plan shopping list',
      start: { dateTime: '2016-12-09T20:30:00.0000000', timeZone: 'UTC' },
      end: { dateTime: '2016-12-09T22:00:00.0000000', timeZone: 'UTC' },
    });
    expect((first.start as Json).dateTime).toMatch(SEVEN_DIGITS);
    // The next round (the saved deltaLink) finds nothing new.
    const again = await get(pages.at(-1)!['@odata.deltaLink'] as string);
    expect(again.body.value).toEqual([]);
  });

  it('/graph/api/event-get: a weekly series answers lower-case daysOfWeek and the filler fields', async () => {
    const made = sim.calendar(USER).create({
      subject: 'Weekly planning',
      start: { dateTime: '2017-08-15T10:30:00', timeZone: 'Eastern Standard Time' },
      end: { dateTime: '2017-08-15T11:30:00', timeZone: 'Eastern Standard Time' },
      recurrence: {
        pattern: { type: 'weekly', interval: 1, daysOfWeek: ['Tuesday', 'Thursday'] },
        range: { type: 'noEnd', startDate: '2017-08-15', recurrenceTimeZone: 'Eastern Standard Time' },
      },
    });
    const id = 'id' in made ? made.id : '';
    const { body } = await get(`/me/events/${id}`);
    // The page's answer, field for field.
    expect(body.recurrence).toEqual({
      pattern: {
        type: 'weekly',
        interval: 1,
        month: 0,
        dayOfMonth: 0,
        daysOfWeek: ['tuesday', 'thursday'],
        firstDayOfWeek: 'sunday',
        index: 'first',
      },
      range: {
        type: 'noEnd',
        startDate: '2017-08-15',
        endDate: '0001-01-01',
        recurrenceTimeZone: 'Eastern Standard Time',
        numberOfOccurrences: 0,
      },
    });
    expect(body).toMatchObject({
      type: 'seriesMaster',
      seriesMasterId: null,
      responseStatus: { response: 'organizer', time: '0001-01-01T00:00:00Z' },
      start: { dateTime: '2017-08-15T14:30:00.0000000', timeZone: 'UTC' },
    });
  });

  it('/graph/api/user-post-events: an event created without them answers sensitivity normal and showAs busy', async () => {
    // Request 1 of the page (no sensitivity, no showAs in the body) answers both, as here.
    const made = sim.calendar(USER).create({
      subject: "Let's go brunch",
      start: { dateTime: '2017-04-15T11:00:00', timeZone: 'Pacific Standard Time' },
      end: { dateTime: '2017-04-15T12:00:00', timeZone: 'Pacific Standard Time' },
    });
    const { body } = await get(`/me/events/${'id' in made ? made.id : ''}`);
    expect(body).toMatchObject({ importance: 'normal', sensitivity: 'normal', showAs: 'busy' });
  });

  it('/graph/query-parameters ($select): only the selected properties, id and @odata.etag always', async () => {
    const any = sim.calendar(USER).all()[0]!;
    const { body } = await get(`/me/events/${any.id}?$select=subject,start`);
    expect(Object.keys(body).sort()).toEqual(['@odata.etag', 'id', 'start', 'subject']);
  });

  it('/graph/api/todotask-delta: the example’s keys, 7-digit timestamps with Z, $select honoured', async () => {
    const todo = sim.todo(USER);
    todo.create({ title: 'empty task3' });
    const list = todo.listId;
    const full = await get(`/me/todo/lists/${list}/tasks/delta`);
    const task = (full.body.value as Json[]).find((t) => t.title === 'empty task3')!;
    expect(Object.keys(task)).toEqual(
      expect.arrayContaining([
        '@odata.etag',
        'importance',
        'isReminderOn',
        'status',
        'title',
        'createdDateTime',
        'lastModifiedDateTime',
        'id',
        'body',
      ]),
    );
    expect(task).toMatchObject({ importance: 'normal', isReminderOn: false, status: 'notStarted' });
    expect(task.createdDateTime).toMatch(SEVEN_DIGITS_Z);
    expect(task.lastModifiedDateTime).toMatch(SEVEN_DIGITS_Z);
    const selected = await get(`/me/todo/lists/${list}/tasks/delta?$select=title,status`);
    for (const t of selected.body.value as Json[]) {
      expect(Object.keys(t).sort()).toEqual(['@odata.etag', 'id', 'status', 'title']);
    }
    expect(selected.body['@odata.deltaLink']).toMatch(/\$select=title%2Cstatus/);
  });

  it('/graph/errors: { error: { code, message, innerError: { date, request-id } } }', async () => {
    const { status, body } = await get('/me/events/AAMkADnotthere');
    expect(status).toBe(404);
    expect(body).toEqual({
      error: {
        code: 'ErrorItemNotFound',
        message: expect.any(String) as string,
        innerError: {
          // As in the page's examples: no offset, no fraction ("2025-02-13T10:17:05").
          date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/) as string,
          'request-id': expect.stringMatching(/^[0-9a-f-]{36}$/) as string,
        },
      },
    });
  });

  it('/graph/delta-query-overview: an expired token is a 410 Gone, or a 400/404 naming syncStateNotFound', async () => {
    const todo = sim.todo(USER);
    const round = await get(`/me/todo/lists/${todo.listId}/tasks/delta`);
    const link = round.body['@odata.deltaLink'] as string;
    for (const answer of [
      { status: 410, code: 'syncStateNotFound' },
      { status: 400, code: 'syncStateNotFound' },
      { status: 404, code: 'resyncRequired' },
    ] as const) {
      todo.expireDeltaTokens(answer);
      const lost = await get(link);
      expect(lost.status).toBe(answer.status);
      expect((lost.body.error as Json).code).toBe(answer.code);
    }
  });

  it('/graph/throttling: a 429 carries Retry-After in (fractional) seconds', async () => {
    sim.throttleNext(1, 2.128);
    const throttled = await get('/me');
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('2.128');
    expect((throttled.body.error as Json).code).toBe('TooManyRequests');
  });
});
