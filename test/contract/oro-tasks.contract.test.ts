import { startOroSimulator, type OroSimulator } from '../../dev/oro/simulator';
import { OroClient, OroTokenCache } from '../../shared/oro/client';
import { OroTasksSide } from '../../shared/oro/tasks-side';
import type { TaskFields } from '../../shared/sync/tasks/fields';
import { sidePortContract, type SideFixture } from './side-port.contract';

let oro: OroSimulator;
/** An Oro whose administrator enabled the Batch API for tasks (`update_list`; stock has none). */
let batching: OroSimulator;
let clock = Date.parse('2026-05-01T10:00:00Z');
let owners = 500;
const tokens = new OroTokenCache();
const fast = () => Promise.resolve();

beforeAll(async () => {
  oro = await startOroSimulator({ clock: () => clock });
  oro.registerClient('sync', 'pw');
  batching = await startOroSimulator({ clock: () => clock, taskBatchApi: { mode: 'sync' } });
  batching.registerClient('sync', 'pw');
});
afterAll(async () => {
  await oro.close();
  await batching.close();
});

sidePortContract<TaskFields>('Oro tasks (JSON:API)', () => fixture(oro));
sidePortContract<TaskFields>('Oro tasks (JSON:API, Batch API enabled)', () => fixture(batching));

function fixture(oro: OroSimulator): SideFixture<TaskFields> {
  const owner = String(++owners);
  const client = (secret = 'pw') =>
    new OroClient(
      { baseUrl: oro.url, clientId: 'sync', clientSecret: secret },
      secret === 'pw' ? tokens : new OroTokenCache(),
      {
        sleep: fast,
      },
    );
  return {
    side: () => new OroTasksSide(client(), owner),
    sample: (i) => ({
      title: `Task ${i}`,
      description: `about ${i}`,
      dueDate: `2026-06-${String(10 + i).padStart(2, '0')}`,
      // Stock Oro's task_flow creates tasks open only (its entity restrictions).
      status: 'open',
      priority: 'high',
    }),
    edit: (f) => ({ fields: { ...f, title: `${f.title} (edited)` }, changed: ['title'] }),
    comparable: (f) => f,
    seed: (count) =>
      Array.from({ length: count }, (_, i) => oro.createTask(owner, { subject: `Seeded ${i}` }).id),
    remove: (id) => oro.deleteTask(id),
    morethanOnePage: 501,
    carriesLinkId: false,
    failTransiently: () => oro.failNext('error-500'),
    sideWithRefusedCredentials: () => new OroTasksSide(client('wrong'), owner),
    settle: () => {
      clock += 60_000;
    },
  };
}
