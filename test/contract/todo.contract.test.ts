import { trustInThisProcess } from '../../dev/microsoft/certificate';
import { startMicrosoftSimulator, type MicrosoftSimulator } from '../../dev/microsoft/simulator';
import { createGraphClient } from '../../shared/microsoft/graph-client';
import { TodoTasksSide } from '../../shared/microsoft/todo-side';
import type { TaskFields } from '../../shared/sync/tasks/fields';
import { sidePortContract } from './side-port.contract';

const USER = 'megan.bowen@contoso.example';
let sim: MicrosoftSimulator;
const fast = () => Promise.resolve();

beforeAll(async () => {
  sim = await startMicrosoftSimulator();
  trustInThisProcess(sim.certificate);
});
afterAll(() => sim.close());

sidePortContract<TaskFields>('Microsoft To Do (Graph)', () => ({
  side: () =>
    new TodoTasksSide(
      createGraphClient(sim.graphUrl, () => sim.graphToken(USER)),
      { sleep: fast },
    ),
  sample: (i) => ({
    title: `Task ${i}`,
    description: `about ${i}`,
    dueDate: `2026-06-${String(10 + i).padStart(2, '0')}`,
    status: 'in_progress',
    priority: 'high',
  }),
  edit: (f) => ({ fields: { ...f, title: `${f.title} (edited)` }, changed: ['title'] }),
  comparable: (f) => f,
  seed: (count) =>
    Array.from({ length: count }, (_, i) => sim.todo(USER).create({ title: `Seeded ${i}` }).id),
  remove: (id) => {
    sim.todo(USER).remove(id);
  },
  morethanOnePage: 51,
  carriesLinkId: true,
  // Past the Graph client's own retries (3).
  failTransiently: () => sim.throttleNext(4, 0.01),
  sideWithRefusedCredentials: () =>
    new TodoTasksSide(
      createGraphClient(sim.graphUrl, () => Promise.resolve('not-a-token')),
      { sleep: fast },
    ),
  settle: () => undefined,
}));
