import { trustInThisProcess } from '../../dev/microsoft/certificate';
import { startMicrosoftSimulator, type MicrosoftSimulator } from '../../dev/microsoft/simulator';
import { GraphCalendarSide } from '../../shared/microsoft/calendar-side';
import { createGraphClient } from '../../shared/microsoft/graph-client';
import type { EventFields } from '../../shared/sync/calendar/event-mapping';
import { calendarSample, comparableEvent, CONTRACT_NOW } from './calendar-samples';
import { sidePortContract } from './side-port.contract';

const USER = 'adele.vance@contoso.example';
let sim: MicrosoftSimulator;
const fast = () => Promise.resolve();

beforeAll(async () => {
  sim = await startMicrosoftSimulator();
  trustInThisProcess(sim.certificate);
});
afterAll(() => sim.close());

const side = (token: () => Promise<string>) =>
  new GraphCalendarSide(createGraphClient(sim.graphUrl, token), {
    now: () => new Date(CONTRACT_NOW),
    sleep: fast,
    pageSize: 25,
  });

sidePortContract<EventFields>('Microsoft 365 calendar (Graph)', () => ({
  side: () => side(() => sim.graphToken(USER)),
  sample: calendarSample,
  edit: (f) => ({ fields: { ...f, title: `${f.title} (edited)` }, changed: ['title'] }),
  comparable: comparableEvent,
  seed: (count) =>
    Array.from({ length: count }, (_, i) => {
      const start = new Date(CONTRACT_NOW + (i + 1) * 3600_000).toISOString().slice(0, 19);
      const end = new Date(CONTRACT_NOW + (i + 1) * 3600_000 + 1800_000).toISOString().slice(0, 19);
      const made = sim.calendar(USER).create({
        subject: `Seeded ${i}`,
        start: { dateTime: start, timeZone: 'UTC' },
        end: { dateTime: end, timeZone: 'UTC' },
      });
      if ('error' in made) {
        throw new Error(made.error);
      }
      return made.id;
    }),
  remove: (id) => {
    sim.calendar(USER).remove(id);
  },
  morethanOnePage: 26,
  carriesLinkId: true,
  // Past the Graph client's own retries (3).
  failTransiently: () => sim.throttleNext(4, 0.01),
  sideWithRefusedCredentials: () => side(() => Promise.resolve('not-a-token')),
  settle: () => undefined,
}));
