import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listCalendars, listTaskLists } from '../../../../shared/microsoft/folders';
import { createGraphClient } from '../../../../shared/microsoft/graph-client';

/**
 * The listing adapter against Graph's published answers, served as they are printed (the
 * simulator always sends `isDefaultCalendar`; the docs' own example does not), so the
 * adapter is shown tolerant of both.
 */
describe('listing calendars and To Do lists from the published Graph answers', () => {
  let server: Server;
  let base: string;
  const answers = new Map<string, unknown>();
  const asked: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      asked.push(url.pathname);
      const body = answers.get(url.pathname);
      res.writeHead(body === undefined ? 404 : 200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body ?? { error: { code: 'ResourceNotFound', message: 'no' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => {
    answers.clear();
    asked.length = 0;
  });
  const client = () => createGraphClient(base, () => Promise.resolve('token'));

  it('"List calendars" as its v1.0 example prints it (no isDefaultCalendar): GET /me/calendar names the default', async () => {
    // learn.microsoft.com/graph/api/user-list-calendars (v1.0), Example response.
    answers.set('/v1.0/me/calendars', {
      '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#me/calendars',
      value: [
        {
          '@odata.id':
            "https://graph.microsoft.com/v1.0/users('ddfcd489-628b-40d7-b48b-57002df800e5@1717622f-1d94-4d0c-9d74-709fad664b77')/calendars('AAMkAGI2TGuLAAA=')",
          id: 'AAMkAGI2TGuLAAA=',
          name: 'Calendar',
          color: 'auto',
          changeKey: 'nfZyf7VcrEKLNoU37KWlkQAAA0x0+w==',
          canShare: true,
          canViewPrivateItems: true,
          hexColor: '',
          canEdit: true,
          allowedOnlineMeetingProviders: ['teamsForBusiness'],
          defaultOnlineMeetingProvider: 'teamsForBusiness',
          isTallyingResponses: true,
          isRemovable: false,
          owner: { name: 'Samantha Booth', address: 'samanthab@contoso.com' },
        },
      ],
    });
    answers.set('/v1.0/me/calendar', { id: 'AAMkAGI2TGuLAAA=', name: 'Calendar' });
    expect(await listCalendars(client())).toEqual([
      {
        id: 'AAMkAGI2TGuLAAA=',
        name: 'Calendar',
        isDefault: true,
        canEdit: true,
        owner: 'samanthab@contoso.com',
      },
    ]);
    expect(asked).toEqual(['/v1.0/me/calendars', '/v1.0/me/calendar']);
  });

  it('with isDefaultCalendar (the calendar resource type has it): one request, pages followed', async () => {
    answers.set('/v1.0/me/calendars', {
      value: [{ id: 'A', name: 'Calendar', isDefaultCalendar: true, canEdit: true }],
      // Graph's links are absolute https URLs (the simulator's tests follow those); this plain
      // http server gets a relative one, as the SDK reads only https links as absolute.
      '@odata.nextLink': '/me/calendars/page2',
    });
    answers.set('/v1.0/me/calendars/page2', {
      value: [{ id: 'B', name: 'Shared by Alex', isDefaultCalendar: false, canEdit: false, owner: null }],
    });
    expect(await listCalendars(client())).toEqual([
      { id: 'A', name: 'Calendar', isDefault: true, canEdit: true },
      { id: 'B', name: 'Shared by Alex', isDefault: false, canEdit: false },
    ]);
    expect(asked).toEqual(['/v1.0/me/calendars', '/v1.0/me/calendars/page2']);
  });

  it('"List lists": the default list marked, Flagged email left out', async () => {
    // Shaped as the lists answer Graph's To Do API documentation prints (a "Tasks" list with
    // wellknownListName defaultList, an "Outlook Commitments" list of one's own; ids shortened),
    // plus the flaggedEmails list that wellknownListName documents.
    answers.set('/v1.0/me/todo/lists', {
      '@odata.context':
        "https://graph.microsoft.com/v1.0/$metadata#users('todoservicetest%40contoso.com')/todo/lists",
      value: [
        {
          '@odata.etag': 'W/"m1fdwWoFiE2YS9yegTKoYwAA/ZGlLQ=="',
          displayName: 'Tasks',
          isOwner: true,
          isShared: false,
          wellknownListName: 'defaultList',
          id: 'AAMkADIyAAAAABERAAA=',
        },
        {
          '@odata.etag': 'W/"m1fdwWoFiE2YS9yegTKoYwAA/ZGlLQ=="',
          displayName: 'Outlook Commitments',
          isOwner: true,
          isShared: false,
          wellknownListName: 'none',
          id: 'AAMkADIyAAAhrbPXAAA=',
        },
        {
          displayName: 'Flagged Emails',
          isOwner: true,
          isShared: false,
          wellknownListName: 'flaggedEmails',
          id: 'AAMkADIyAAAhrbPYAAA=',
        },
      ],
    });
    expect(await listTaskLists(client())).toEqual([
      { id: 'AAMkADIyAAAAABERAAA=', name: 'Tasks', isDefault: true, isShared: false },
      { id: 'AAMkADIyAAAhrbPXAAA=', name: 'Outlook Commitments', isDefault: false, isShared: false },
    ]);
  });
});
