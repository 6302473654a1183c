import type { Browser } from 'playwright-core';
import type { Stack } from '../../../dev/stack';
import { launchChromium } from '../../support/browser';
import { startTestStack } from '../../support/stack';

describe('Connect in a real browser', () => {
  jest.setTimeout(60_000);
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startTestStack({ seed: true });
    browser = await launchChromium();
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
    await page.waitForSelector('#status:text-is("connected")');
    expect(await page.textContent('#account')).toBe('(adele.vance@contoso.example)');

    await page.click('#check');
    await page.waitForSelector('#checks li:nth-child(4)');
    const checks = await page.$$eval(
      '#checks li',
      (items: { className: string; textContent: string | null }[]) =>
        items.map((li) => [li.className, li.textContent]),
    );
    expect(checks).toEqual([
      ['ok', '✔ Microsoft account: Signed in as Adele Vance <adele.vance@contoso.example>'],
      ['ok', '✔ Microsoft calendar: Calendar "Calendar" can be written'],
      ['ok', '✔ Microsoft To Do: To Do list "Tasks" found'],
      ['ok', `✔ Oro calendar: Oro calendar ${stack.oro.calendar.defaultCalendar('101')} can be read`],
    ]);

    // The demo organization sends tasks one way: Oro's two tasks of user 101 go to To Do.
    // Runs that follow (the echo of our own writes notified by Graph) find nothing; the
    // status keeps the run that changed something, so this holds whichever run comes last.
    await page.click('#sync-tasks');
    await page.waitForSelector('#message:text("Tasks sync: queued")');
    await page.waitForSelector('#tasks-change:text("2 created")', { timeout: 20_000 });
    expect(await page.textContent('#tasks-change')).toMatch(
      /^Last change .+: 2 created, 0 updated, 0 deleted, 0 conflicts, 0 errors$/,
    );
    const taskLog = await page.locator('#tasks-log li').allTextContents();
    expect(taskLog.filter((line) => line.includes(': created in Microsoft To Do'))).toHaveLength(2);
    expect(taskLog.join('\n')).not.toMatch(/unchanged|absent|created\/|\/created/);
    // The calendar syncs both ways: user 101's three Oro events go to Adele's empty calendar.
    await page.click('#sync-calendar');
    await page.waitForSelector('#message:text("Calendar sync: queued")');
    await page.waitForSelector('#calendar-change:text("3 created")', { timeout: 20_000 });
    expect(await page.textContent('#calendar-change')).toMatch(/: 3 created, 0 updated, 0 deleted/);
    expect(await page.textContent('#calendar-log')).toContain('created in the Microsoft 365 calendar');
    if (process.env.SCREENSHOT_DIR) {
      await page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/demo-portal.png`, fullPage: true });
    }
    await context.close();
  });

  it('tells the portal when the user cancels', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`${stack.url}/`);
    await page.waitForSelector('#status:text-is("connected")'); // user 101, connected above
    await page.selectOption('#scope', 'user:102');
    await page.waitForSelector('#status:text-is("disconnected")');
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#connect')]);
    await Promise.all([popup.waitForEvent('close'), popup.click('#cancel')]);
    await page.waitForSelector('#message.fail');
    expect(await page.textContent('#message')).toBe('Not connected: Sign-in was cancelled.');
    // "Sync now" for a user who is not connected says why, and nothing is queued.
    await page.click('#sync-tasks');
    await page.waitForSelector('#message:text("has no connected Microsoft account")');
    expect(await page.textContent('#message')).toMatch(
      /^Tasks sync: User "102" has no connected Microsoft account/,
    );
    expect(await page.textContent('#tasks-state')).not.toMatch(/queued/);
    await context.close();
  });
});
