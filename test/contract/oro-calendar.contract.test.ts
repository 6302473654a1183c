import { startOroSimulator, type OroSimulator } from '../../dev/oro/simulator';
import { OroCalendarSide } from '../../shared/oro/calendar-side';
import { OroClient, OroTokenCache } from '../../shared/oro/client';
import type { EventFields } from '../../shared/sync/calendar/event-mapping';
import { sidePortContract } from './side-port.contract';
import { calendarSample, comparableEvent } from './calendar-samples';

let oro: OroSimulator;
let clock = Date.parse('2026-11-24T12:00:00Z');
let users = 700;
const tokens = new OroTokenCache();
const fast = () => Promise.resolve();

beforeAll(async () => {
  oro = await startOroSimulator({ clock: () => clock });
  oro.registerClient('sync', 'pw');
});
afterAll(() => oro.close());

sidePortContract<EventFields>('Oro calendar (REST)', () => {
  const user = String(++users);
  // Stock Oro lets no integration user look a calendar up: the id comes from the settings.
  const calendarId = oro.calendar.defaultCalendar(user);
  const side = (secret = 'pw') =>
    new OroCalendarSide(
      new OroClient(
        { baseUrl: oro.url, clientId: 'sync', clientSecret: secret },
        secret === 'pw' ? tokens : new OroTokenCache(),
        {
          sleep: fast,
        },
      ),
      user,
      { now: () => new Date(clock), calendarId },
    );
  return {
    side: () => side(),
    sample: calendarSample,
    edit: (f) => ({ fields: { ...f, title: `${f.title} (edited)` }, changed: ['title'] }),
    comparable: comparableEvent,
    seed: (count) =>
      Array.from({ length: count }, (_, i) => {
        const start = new Date(clock + (i + 1) * 3600_000);
        return String(
          oro.calendar.createEvent(user, {
            title: `Seeded ${i}`,
            start: start.toISOString(),
            end: new Date(start.getTime() + 1800_000).toISOString(),
          }).id,
        );
      }),
    remove: (id) => oro.calendar.deleteEvent(Number(id)),
    morethanOnePage: 501,
    carriesLinkId: true,
    failTransiently: () => oro.failNext('error-500'),
    sideWithRefusedCredentials: () => side('wrong'),
    settle: () => {
      clock += 60_000;
    },
  };
});
