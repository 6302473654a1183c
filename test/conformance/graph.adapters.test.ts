import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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

type Json = Record<string, unknown>;

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
