import { chromium, type Browser } from 'playwright-core';
import type { Stack } from '../../../dev/stack';
import { startTestStack } from '../../support/stack';

/** Chromium flags for this closed network: no background requests that would be refused. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe('Connect in a real browser', () => {
  jest.setTimeout(60_000);
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startTestStack({ seed: true });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
    });
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('opens the sign-in popup, signs in, and receives the account name by postMessage', async () => {
    // The simulator's certificate is self-signed; the browser is told to accept it, nothing else differs.
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`${stack.url}/`);
    await page.waitForSelector('#status:text("disconnected")');

    const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#connect')]);
    await popup.waitForSelector('text=Pick an account');
    await popup.check('input[value="adele.vance@contoso.example"]');
    await Promise.all([popup.waitForEvent('close'), popup.click('#accept')]);

    await page.waitForSelector('#message.ok');
    expect(await page.textContent('#message')).toBe('Connected as adele.vance@contoso.example');
    await page.waitForSelector('#status:text("connected")');
    expect(await page.textContent('#account')).toBe('(adele.vance@contoso.example)');

    await page.click('#check');
    await page.waitForSelector('#checks li:nth-child(4)');
    const checks = await page.$$eval('#checks li', (items) =>
      items.map((li) => [li.className, li.textContent]),
    );
    expect(checks).toEqual([
      ['ok', '✔ profile: Signed in as Adele Vance <adele.vance@contoso.example>'],
      ['ok', '✔ calendar: Calendar "Calendar" can be written'],
      ['ok', '✔ tasks: To Do list "Tasks" found'],
      ['ok', `✔ oro-calendar: Oro calendar ${stack.oro.calendar.defaultCalendar('101')} can be read`],
    ]);

    // The demo organization sends tasks one way: Oro's two tasks of user 101 go to To Do.
    await page.click('#sync-tasks');
    await page.waitForSelector('#message:text("Tasks sync: queued")');
    await page.waitForSelector('#tasks-log li:nth-child(2)', { timeout: 20_000 });
    expect(await page.textContent('#tasks-detail')).toMatch(
      /2 created, 0 updated, 0 deleted, 0 conflicts, 0 errors/,
    );
    // The calendar syncs both ways: user 101's three Oro events go to Adele's empty calendar.
    await page.click('#sync-calendar');
    await page.waitForSelector('#message:text("Calendar sync: queued")');
    await page.waitForSelector('#calendar-log li:nth-child(3)', { timeout: 20_000 });
    expect(await page.textContent('#calendar-detail')).toMatch(/3 created, 0 updated, 0 deleted/);
    if (process.env.SCREENSHOT_DIR) {
      await page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/demo-portal.png`, fullPage: true });
    }
    await context.close();
  });

  it('tells the portal when the user cancels', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`${stack.url}/`);
    await page.selectOption('#user', '102');
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#connect')]);
    await Promise.all([popup.waitForEvent('close'), popup.click('#cancel')]);
    await page.waitForSelector('#message.fail');
    expect(await page.textContent('#message')).toBe('Not connected: Sign-in was cancelled.');
    await context.close();
  });
});
