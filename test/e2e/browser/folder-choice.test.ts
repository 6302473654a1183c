import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Stack } from '../../../dev/stack';
import { DEMO } from '../../../dev/seed';
import { launchChromium } from '../../support/browser';
import { connect } from '../../support/sign-in';
import { apiClient, startTestStack } from '../../support/stack';

const MEGAN = 'megan.bowen@contoso.example';

/**
 * The user's own choices on the settings screen: the Oro calendar id, and which Outlook
 * calendar and To Do list sync, filled from GET …/microsoft/calendars and …/task-lists.
 */
describe('choosing the calendar and the task list on the settings screen', () => {
  jest.setTimeout(60_000);
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let api: ReturnType<typeof apiClient>;
  const USER = DEMO.inheritingUserId;

  beforeAll(async () => {
    stack = await startTestStack({ seed: true });
    api = apiClient(stack.url, await stack.adminToken());
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext();
    page = await context.newPage();
    await page.goto(`${stack.url}/`);
    await page.waitForSelector('#src-tasks-microsoftListId:not(:empty)');
  });
  afterEach(() => context.close());

  const optionsOf = (id: string) =>
    page.$$eval(`#${id} option`, (all: { value: string; textContent: string | null }[]) =>
      all.map((o) => [o.value, o.textContent]),
    );
  /** Save Settings, then wait until the screen says something new (saved, or what is wrong). */
  const save = async () => {
    const before = await page.textContent('#message');
    await page.click('#save');
    await page.waitForFunction((was: string | null) => {
      const message = (
        globalThis as unknown as {
          document: { getElementById(id: string): { textContent: string | null } | null };
        }
      ).document.getElementById('message')?.textContent;
      return !!message && message !== was;
    }, before);
  };
  /**
   * After a reload, until both selects list these: the screen fills the calendars, then the
   * task lists, then the Oro calendar id, with no wait after the last list, so a test
   * that acts once the calendar is listed could be overwritten by the rest of the load.
   */
  const listed = async (calendarId: string, listId: string) => {
    await page.waitForSelector(`#f-calendar-microsoftCalendarId option[value="${calendarId}"]`, {
      state: 'attached',
    });
    await page.waitForSelector(`#f-tasks-microsoftListId option[value="${listId}"]`, { state: 'attached' });
  };
  const userSettings = async () =>
    (await api('GET', `/api/settings/users/${USER}`)).body as {
      calendar?: Record<string, unknown>;
      tasks?: Record<string, unknown>;
    };

  it('before the account is connected: the Oro calendar id as set, the default calendar and list, and why no other', async () => {
    expect(await page.inputValue('#f-calendar-oroCalendarId')).toBe(
      String((await userSettings()).calendar?.oroCalendarId),
    );
    expect(await page.textContent('#src-calendar-oroCalendarId')).toBe('set for this user');
    expect(await optionsOf('f-calendar-microsoftCalendarId')).toEqual([['', 'Default calendar']]);
    expect(await page.textContent('#src-calendar-microsoftCalendarId')).toBe(
      'not set: the default calendar; connect the Microsoft account to choose a calendar',
    );
    // The choices are the user's own: no "Use Organization" for them.
    expect(await page.locator('#row-tasks-microsoftListId input[type=checkbox]').count()).toBe(0);
  });

  it('lists the connected account calendars and lists, the default marked; saving stores the choice with If-Match', async () => {
    expect((await connect(api, USER)).message.ok).toBe(true);
    // Tasks synced once with the default list, so that choosing another is a switch.
    expect(await stack.services.sync.run(USER, 'tasks')).toMatchObject({ status: 'ok' });
    const work = stack.microsoft.addCalendar(MEGAN, 'Work');
    const errands = stack.microsoft.addTodoList(MEGAN, 'Errands');
    await page.reload();
    await listed(work.info.id, errands.listId);
    expect(await optionsOf('f-calendar-microsoftCalendarId')).toEqual([
      ['', 'Default calendar'],
      [stack.microsoft.calendar(MEGAN).info.id, 'Calendar (default)'],
      [stack.microsoft.calendars(MEGAN)[1]!.info.id, 'Holidays'],
      [work.info.id, 'Work'],
    ]);
    expect(await optionsOf('f-tasks-microsoftListId')).toEqual([
      ['', 'Default list'],
      [stack.microsoft.todo(MEGAN).listId, 'Tasks (default)'],
      [stack.microsoft.todoLists(MEGAN)[1]!.listId, 'Groceries'],
      [errands.listId, 'Errands'],
    ]);
    expect(await page.textContent('#src-tasks-microsoftListId')).toBe('not set: the default task list');

    // A bad Oro calendar id is named beside its field, and nothing is saved.
    const oroCalendarId = await page.inputValue('#f-calendar-oroCalendarId');
    await page.selectOption('#f-calendar-microsoftCalendarId', work.info.id);
    await page.selectOption('#f-tasks-microsoftListId', errands.listId);
    await page.fill('#f-calendar-oroCalendarId', 'my calendar');
    await save();
    expect(await page.textContent('#err-calendar-oroCalendarId')).not.toBe('');
    expect((await userSettings()).calendar?.microsoftCalendarId).toBeUndefined();

    await page.fill('#f-calendar-oroCalendarId', oroCalendarId);
    const patch = page.waitForRequest((r) => r.method() === 'PATCH');
    await save();
    // The same PATCH as every other setting, at the version read.
    expect((await patch).headers()['if-match']).toBeTruthy();
    expect(await page.textContent('#message')).toBe(
      'Settings saved. The next run pairs the new calendar afresh; nothing in the old calendar is deleted. The next run pairs the new task list afresh; nothing in the old task list is deleted.',
    );
    const saved = await userSettings();
    expect(saved.calendar).toMatchObject({
      microsoftCalendarId: work.info.id,
      oroCalendarId: Number(oroCalendarId),
    });
    expect(saved.tasks).toMatchObject({ microsoftListId: errands.listId });

    // As a person sees it after a reload.
    await page.reload();
    await listed(work.info.id, errands.listId);
    expect(await page.inputValue('#f-calendar-microsoftCalendarId')).toBe(work.info.id);
    expect(await page.inputValue('#f-tasks-microsoftListId')).toBe(errands.listId);
    expect(await page.textContent('#src-calendar-microsoftCalendarId')).toBe('set for this user');

    // The next run switches, and the log says so in words.
    expect(await stack.services.sync.run(USER, 'tasks')).toMatchObject({ status: 'ok' });
    await page.reload();
    await page.waitForSelector('#tasks-log li');
    const log = await page.locator('#tasks-log li').allTextContents();
    expect(log.some((line) => line.includes('switched to task list "Errands": '))).toBe(true);
    expect(log.some((line) => line.includes('nothing deleted in it'))).toBe(true);
  });

  it('"Default calendar" removes the choice; a new Oro calendar id is saved as a number', async () => {
    await page.waitForSelector('#f-calendar-microsoftCalendarId option[value]:not([value=""])', {
      state: 'attached',
    });
    await page.selectOption('#f-calendar-microsoftCalendarId', '');
    await page.fill('#f-calendar-oroCalendarId', '4242');
    await save();
    expect(await page.textContent('#message')).toBe(
      'Settings saved. The next run pairs the new calendar afresh; nothing in the old calendar is deleted.',
    );
    const saved = await userSettings();
    expect(saved.calendar).not.toHaveProperty('microsoftCalendarId');
    expect(saved.calendar).toMatchObject({ oroCalendarId: 4242 });
    expect(saved.tasks).toHaveProperty('microsoftListId');
  });

  it('shows none of the user-only choices at organization level', async () => {
    await page.selectOption('#scope', `organization:${DEMO.organizationId}`);
    await page.waitForSelector('#row-calendar-microsoftCalendarId.hidden', { state: 'attached' });
    expect(await page.isVisible('#row-calendar-oroCalendarId')).toBe(false);
    expect(await page.isVisible('#row-tasks-microsoftListId')).toBe(false);
  });
});
