import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Stack } from '../../../dev/stack';
import { DEMO } from '../../../dev/seed';
import { launchChromium } from '../../support/browser';
import { connect } from '../../support/sign-in';
import { apiClient, startTestStack } from '../../support/stack';

/** The reference settings screen as a person uses it: tick, untick, save, reload, read the source. */
describe('the Microsoft Settings screen in a real browser', () => {
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
    await page.waitForSelector('#src-syncIntervalMinutes:not(:empty)');
  });
  afterEach(() => context.close());

  /** What the person sees for one setting: value, ticked, editable, where it comes from. */
  const field = async (key: string) => {
    const id = key.replace('.', '-');
    const control = page.locator(`#f-${id}`);
    const type = await control.getAttribute('type');
    return {
      value: type === 'checkbox' ? await control.isChecked() : await control.inputValue(),
      inherited: await page.locator(`#use-${id}`).isChecked(),
      editable: await control.isEnabled(),
      source: await page.textContent(`#src-${id}`),
    };
  };
  const save = async () => {
    await page.click('#save');
    await page.waitForSelector('#message:not(:empty), #conflict:not(.hidden)');
  };
  const userSettings = async () =>
    (await api('GET', `/api/settings/users/${USER}`)).body as Record<string, unknown>;

  it('shows each inherited value with its source, and Conflict Resolution only for bidirectional sync', async () => {
    expect(await field('syncIntervalMinutes')).toEqual({
      value: '15',
      inherited: true,
      editable: false,
      source: 'from Organization acme',
    });
    expect(await field('calendar.direction')).toMatchObject({
      value: 'bidirectional',
      source: 'from Global',
    });
    expect(await field('tasks.direction')).toMatchObject({
      value: 'oro-to-microsoft',
      source: 'from Organization acme',
    });
    expect(await field('calendar.privateEvents')).toMatchObject({
      value: 'busy-only',
      inherited: true,
      source: 'from Global',
    });
    expect(await page.isVisible('#row-calendar-conflictResolution')).toBe(true);
    expect(await page.isVisible('#row-tasks-conflictResolution')).toBe(false);
    expect(await page.textContent('#row-tasks-direction .use-label')).toBe('Use Organization');
  });

  it('clearing "Use Organization" and saving stores the override; ticking it again and saving removes it', async () => {
    await page.uncheck('#use-syncIntervalMinutes');
    expect(await field('syncIntervalMinutes')).toMatchObject({ editable: true, source: 'set for this user' });
    await page.fill('#f-syncIntervalMinutes', '45');
    await page.uncheck('#use-tasks-direction');
    await page.selectOption('#f-tasks-direction', 'bidirectional');
    expect(await page.isVisible('#row-tasks-conflictResolution')).toBe(true);
    await save();
    expect(await page.textContent('#message')).toBe('Settings saved.');

    await page.reload();
    await page.waitForSelector('#src-syncIntervalMinutes:not(:empty)');
    expect(await field('syncIntervalMinutes')).toEqual({
      value: '45',
      inherited: false,
      editable: true,
      source: 'set for this user',
    });
    expect(await field('tasks.direction')).toMatchObject({ value: 'bidirectional', inherited: false });
    expect(await userSettings()).toMatchObject({
      syncIntervalMinutes: 45,
      tasks: { direction: 'bidirectional' },
    });

    await page.check('#use-syncIntervalMinutes');
    expect(await field('syncIntervalMinutes')).toMatchObject({ value: '15', editable: false });
    await page.check('#use-tasks-direction');
    await save();
    await page.reload();
    await page.waitForSelector('#src-syncIntervalMinutes:not(:empty)');
    expect(await field('syncIntervalMinutes')).toMatchObject({
      value: '15',
      inherited: true,
      source: 'from Organization acme',
    });
    const stored = await userSettings();
    expect(stored.syncIntervalMinutes).toBeUndefined();
    expect(stored.tasks).toBeUndefined();
  });

  it('shows the API’s message for a bad value beside its field, and saves nothing', async () => {
    await page.uncheck('#use-syncIntervalMinutes');
    await page.fill('#f-syncIntervalMinutes', '2.5');
    await save();
    expect(await page.textContent('#err-syncIntervalMinutes')).toBe('must be a whole number');
    expect(await page.textContent('#message')).toContain('Not saved');
    expect((await userSettings()).syncIntervalMinutes).toBeUndefined();
  });

  it('says someone else changed the settings (412) and offers to reload them', async () => {
    // Another admin saves while this page is open.
    expect(
      (await api('PATCH', `/api/settings/users/${USER}`, { body: { syncIntervalMinutes: 20 } })).status,
    ).toBe(200);
    await page.uncheck('#use-calendar-enabled');
    await page.uncheck('#f-calendar-enabled');
    await save();
    expect(await page.isVisible('#conflict')).toBe(true);
    expect(await page.textContent('#conflict')).toContain('Someone else changed these settings');
    // The user's calendar id (set by the seed) stays; the refused save wrote nothing.
    const stored = (await userSettings()) as { calendar?: { enabled?: unknown } };
    expect(stored.calendar?.enabled).toBeUndefined();

    await page.click('#reload');
    await page.waitForSelector('#message:text("Reloaded")');
    expect(await page.isVisible('#conflict')).toBe(false);
    expect(await field('syncIntervalMinutes')).toMatchObject({ value: '20', source: 'set for this user' });
    expect(await field('calendar.enabled')).toMatchObject({ value: true, inherited: true });
    await api('PATCH', `/api/settings/users/${USER}`, { body: { syncIntervalMinutes: null } });
  });

  it('shows status and the log in words: what was created, and what this direction skipped', async () => {
    // Megan's To Do holds a task; the organization sends tasks only Oro → Microsoft.
    expect((await connect(api, USER)).message.ok).toBe(true);
    await page.reload();
    await page.waitForSelector('#status:text-is("connected")');
    await page.click('#sync-tasks');
    await page.waitForSelector('#tasks-change:text("2 created")', { timeout: 20_000 });
    const log = await page.locator('#tasks-log li').allTextContents();
    expect(log.filter((line) => line.includes(': created in Microsoft To Do (Oro #'))).toHaveLength(2);
    expect(
      log.filter((line) => line.includes(': skipped: this direction only sends Oro changes')),
    ).toHaveLength(1);
    expect(log.join('\n')).not.toMatch(/absent|created\/|\/created|oro-to-microsoft/);
    expect(await page.textContent('#tasks-state')).toMatch(/^(idle|queued|running) \(Oro to Microsoft\)$/);
    expect(await page.textContent('#tasks-next')).toMatch(/^Next run /);
  });

  it('at organization level offers "Use Global" and shows the organization’s own overrides', async () => {
    await page.selectOption('#scope', `organization:${DEMO.organizationId}`);
    await page.waitForSelector('#src-syncIntervalMinutes:text("set for this organization")');
    expect(await page.textContent('#row-syncIntervalMinutes .use-label')).toBe('Use Global');
    expect(await field('tasks.direction')).toMatchObject({ value: 'oro-to-microsoft', inherited: false });
    expect(await field('calendar.direction')).toMatchObject({ inherited: true, source: 'from Global' });
    expect(await page.isVisible('#account-section')).toBe(false);
  });
});
