import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trustInThisProcess } from '../../dev/microsoft/certificate';
import { startMicrosoftSimulator, type MicrosoftSimulator } from '../../dev/microsoft/simulator';
import { GraphCalendarSide } from '../../shared/microsoft/calendar-side';
import { batch, batchWithRetry, createGraphClient } from '../../shared/microsoft/graph-client';
import { TodoTasksSide } from '../../shared/microsoft/todo-side';

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

// ---- the adapters read what the pages show ----------------------------------------

/** Serves transcribed answers; `answer` gets the method and the path with its query. */
async function replay(
  answer: (
    method: string,
    url: string,
    body: Json | undefined,
  ) => { status: number; body: unknown; headers?: Record<string, string> },
): Promise<{ base: string; seen: string[]; close: () => Promise<void> }> {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      seen.push(`${req.method ?? ''} ${decodeURIComponent(req.url ?? '')}`);
      const a = answer(
        req.method ?? 'GET',
        decodeURIComponent(req.url ?? ''),
        text ? (JSON.parse(text) as Json) : undefined,
      );
      res.writeHead(a.status, { 'Content-Type': 'application/json', ...a.headers });
      res.end(JSON.stringify(a.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, seen, close: () => new Promise((r) => server.close(() => r())) };
}

describe('the adapters read the Graph v1.0 docs’ answers', () => {
  const LIST = 'gDbc8U7HGwADDZocJgAAAA==';
  /** /graph/api/todotask-delta, the example response (its deltaLink on the replay server). */
  const todoDelta = (base: string) => ({
    '@odata.deltaLink': `${base}/v1.0/me/todo/lists/${LIST}/tasks/delta?$deltatoken=MoVMZ_DzHG4AhT3WE8VioVS1IXZJ-ArqK5fknOjnKFY`,
    value: [
      {
        '@odata.etag': 'W/"4rfRVIPi9EqXgDbc8U7HGwADLLQ9xQ=="',
        importance: 'normal',
        isReminderOn: false,
        status: 'notStarted',
        title: 'empty task3',
        createdDateTime: '2020-08-12T04:54:29.1925206Z',
        lastModifiedDateTime: '2020-08-12T04:54:29.4903939Z',
        id: 'AAMkADMwNTcyZjQzLTdkMGItNDdjMy04ZTYwLTJhYmUzNGI5ZDEwMwBGAAAAAAB5M0K0qlJySLOAgV22zPnuBwDit9FUg_L0SpeANtzxTscbAAMNmhwmAADit9FUg_L0SpeANtzxTscbAAMxlnrYAAA=',
        body: { content: '', contentType: 'text' },
      },
    ],
  });
  const lists = { value: [{ id: LIST, displayName: 'Tasks', wellknownListName: 'defaultList' }] };

  it('To Do: the todotask-delta example is one open task; an expired token (400 syncStateNotFound) is a full re-read', async () => {
    let expired = false;
    const server = await replay((_method, url) => {
      if (url.startsWith('/v1.0/me/todo/lists?') || url === '/v1.0/me/todo/lists') {
        return { status: 200, body: lists };
      }
      if (url.includes('$deltatoken=') && expired) {
        // As announced for expired delta links (devblogs.microsoft.com/microsoft365dev, "Duration of change tracking tokens").
        return {
          status: 400,
          body: {
            error: {
              code: 'syncStateNotFound',
              message:
                'The sync state generation is not found. The delta token is expired and data must be synchronized again.',
              innerError: {
                date: '2020-08-12T04:54:29',
                'request-id': '93b6f17e-c05d-4f45-ad2a-6665c708d8a0',
              },
            },
          },
        };
      }
      return { status: 200, body: todoDelta(server.base) };
    });
    try {
      const side = new TodoTasksSide(createGraphClient(server.base, () => Promise.resolve('token')));
      const first = await side.read(undefined, new Set());
      expect(first.changes).toEqual([
        {
          type: 'upsert',
          item: expect.objectContaining({
            id: todoDelta(server.base).value[0]!.id,
            version: 'W/"4rfRVIPi9EqXgDbc8U7HGwADLLQ9xQ=="',
            modifiedAt: '2020-08-12T04:54:29.4903939Z',
            fields: expect.objectContaining({
              title: 'empty task3',
              status: 'open',
              priority: 'normal',
            }) as unknown,
          }) as unknown,
        },
      ]);
      expired = true;
      const again = await side.read(first.cursor, new Set());
      expect(again.full).toBe(true);
      expect(server.seen.filter((s) => s.includes('/tasks/delta')).at(-1)).not.toContain('$deltatoken=');
    } finally {
      await server.close();
    }
  });

  it('$batch (/graph/json-batching): answers out of order are matched by id; a step’s fractional Retry-After is waited out', async () => {
    let round = 0;
    const server = await replay((_method, _url, body) => {
      const requests = (body?.requests ?? []) as { id: string }[];
      round++;
      // "Individual responses might appear in a different order than the requests."
      const responses = [...requests].reverse().map((r) =>
        round === 1 && r.id === '1'
          ? {
              id: r.id,
              status: 429,
              headers: { 'Retry-After': '2.128' },
              body: { error: { code: 'TooManyRequests', message: 'Too many requests' } },
            }
          : {
              id: r.id,
              status: 200,
              headers: { 'Content-Type': 'application/json' },
              body: { id: `answer-${r.id}` },
            },
      );
      return { status: 200, body: { responses } };
    });
    try {
      const client = createGraphClient(server.base, () => Promise.resolve('token'));
      const steps = ['0', '1', '2'].map((id) => ({ id, method: 'GET' as const, url: `/me/events/${id}` }));
      const sleeps: number[] = [];
      const answers = await batchWithRetry(client, steps, {
        sleep: (ms) => Promise.resolve(void sleeps.push(ms)),
      });
      expect(answers.map((a) => [a.id, a.status, (a.body as Json).id])).toEqual([
        ['0', 200, 'answer-0'],
        ['1', 200, 'answer-1'],
        ['2', 200, 'answer-2'],
      ]);
      expect(sleeps).toEqual([2128]);
      const direct = await batch(client, steps.slice(0, 2));
      expect(direct.map((a) => a.id)).toEqual(['0', '1']);
    } finally {
      await server.close();
    }
  });

  it('calendar: a delta-query-events page and the event-get series read as one weekly series in New York time', async () => {
    const SERIES = 'AAMkAGI5MWY5ZmUyLTJiNzYtNDE0ZC04OWEwLWM3M2FjYmM3NwAzZWYARgAAA';
    const server = await replay((method, url, body) => {
      if (url.startsWith('/v1.0/me/calendarView/delta')) {
        return {
          status: 200,
          body: {
            '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#Collection(event)',
            '@odata.deltaLink': `${server.base}/v1.0/me/calendarView/delta?$deltatoken=R0usmcMDNGg0J1E`,
            value: [
              {
                '@odata.type': '#microsoft.graph.event',
                '@odata.etag': 'W/"EZ9r3czxY0m2jz8c45czkwAAFXcvIQ=="',
                subject: 'Weekly planning',
                type: 'occurrence',
                seriesMasterId: SERIES,
                start: { dateTime: '2017-08-15T14:30:00.0000000', timeZone: 'UTC' },
                end: { dateTime: '2017-08-15T15:30:00.0000000', timeZone: 'UTC' },
                id: `${SERIES}.occ1`,
              },
            ],
          },
        };
      }
      if (method === 'POST' && url === '/v1.0/$batch') {
        const requests = (body?.requests ?? []) as { id: string }[];
        return {
          status: 200,
          body: {
            responses: requests.map((r) => ({
              id: r.id,
              status: 200,
              headers: {},
              // /graph/api/event-get, the example response (shortened).
              body: {
                id: SERIES,
                changeKey: 'xPZF2y46pEiVBni87OnrpgAAAAACNw==',
                lastModifiedDateTime: '2017-08-31T01:06:31.0394009Z',
                originalStartTimeZone: 'Eastern Standard Time',
                subject: 'Weekly planning',
                type: 'seriesMaster',
                isAllDay: false,
                isOrganizer: true,
                isReminderOn: true,
                reminderMinutesBeforeStart: 15,
                body: { contentType: 'text', content: 'Higher Education Planning.' },
                start: { dateTime: '2017-08-15T14:30:00.0000000', timeZone: 'UTC' },
                end: { dateTime: '2017-08-15T15:30:00.0000000', timeZone: 'UTC' },
                location: { displayName: 'HR Taskforce / Benefits' },
                recurrence: {
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
                },
                attendees: [],
                organizer: { emailAddress: { name: 'HR Taskforce', address: 'HRTaskforce@contoso.com' } },
                exceptionOccurrences: [],
                cancelledOccurrences: [],
              },
            })),
          },
        };
      }
      return { status: 404, body: { error: { code: 'ResourceNotFound', message: url } } };
    });
    try {
      const side = new GraphCalendarSide(
        createGraphClient(server.base, () => Promise.resolve('token')),
        {
          now: () => new Date('2017-08-20T12:00:00Z'),
        },
      );
      const read = await side.read(undefined, new Set());
      expect(read.unmapped).toBeUndefined();
      expect(read.changes).toHaveLength(1);
      const item = read.changes[0]!.type === 'upsert' ? read.changes[0]!.item : undefined;
      expect(item?.fields).toMatchObject({
        title: 'Weekly planning',
        location: 'HR Taskforce / Benefits',
        start: '2017-08-15T14:30:00Z',
        recurrence: {
          pattern: 'weekly',
          interval: 1,
          daysOfWeek: ['tuesday', 'thursday'],
          start: '2017-08-15',
          end: { type: 'none' },
          timeZone: 'America/New_York',
        },
      });
    } finally {
      await server.close();
    }
  });
});
