import type { InvocationContext, Timer } from '@azure/functions';
import { parseNcrontab, startDevTimers } from '../../../dev/timers';
import type { TimerFunctionDefinition } from '../../../functions/timer';

const next = (expr: string, after: string) => parseNcrontab(expr).next(new Date(after)).toISOString();

describe('NCRONTAB', () => {
  it('fires every minute at second 0', () => {
    expect(next('0 * * * * *', '2026-11-24T19:05:00.000Z')).toBe('2026-11-24T19:06:00.000Z');
    expect(next('0 * * * * *', '2026-11-24T19:05:59.999Z')).toBe('2026-11-24T19:06:00.000Z');
    expect(next('0 * * * * *', '2026-12-31T23:59:30Z')).toBe('2027-01-01T00:00:00.000Z');
  });

  it('fires every N minutes and hourly', () => {
    expect(next('0 */5 * * * *', '2026-11-24T19:05:00Z')).toBe('2026-11-24T19:10:00.000Z');
    expect(next('0 */5 * * * *', '2026-11-24T19:57:10Z')).toBe('2026-11-24T20:00:00.000Z');
    expect(next('0 0 * * * *', '2026-11-24T19:05:00Z')).toBe('2026-11-24T20:00:00.000Z');
  });

  it('reads ranges, lists, stepped ranges, and the other fields', () => {
    expect(next('*/15 * * * * *', '2026-11-24T19:05:16Z')).toBe('2026-11-24T19:05:30.000Z');
    expect(next('0 0 9-17/4 * * 1-5', '2026-11-27T18:00:00Z')).toBe('2026-11-30T09:00:00.000Z'); // Fri evening → Mon 9:00
    expect(next('0 30 8,20 1 * *', '2026-11-24T00:00:00Z')).toBe('2026-12-01T08:30:00.000Z');
    expect(next('0 0 0 29 2 *', '2026-03-01T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
  });

  it('refuses what it does not understand, naming the field', () => {
    expect(() => parseNcrontab('* * * * *')).toThrow('needs 6 fields');
    expect(() => parseNcrontab('0 61 * * * *')).toThrow('minute field "61"');
    expect(() => parseNcrontab('0 * * * JAN *')).toThrow('month field "JAN"');
    expect(() => parseNcrontab('0 */0 * * * *')).toThrow('minute field "*/0"');
  });
});

describe('dev timers', () => {
  const recorder = (schedule: string, work: () => Promise<void> = () => Promise.resolve()) => {
    const calls: { timer: Timer; context: InvocationContext }[] = [];
    const fn: TimerFunctionDefinition = {
      kind: 'timer',
      name: 'tick',
      schedule,
      handler: async (timer, context) => {
        calls.push({ timer, context });
        await work();
      },
    };
    return { fn, calls };
  };

  it('fires a function on its schedule with a Timer and an InvocationContext like the host', async () => {
    const { fn, calls } = recorder('* * * * * *');
    const timers = startDevTimers([fn], { log: () => undefined });
    try {
      const deadline = Date.now() + 4000;
      while (calls.length < 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await timers.close();
    }
    expect(calls.length).toBeGreaterThanOrEqual(2);
    const [first, second] = calls;
    expect(first!.context.functionName).toBe('tick');
    expect(first!.context.invocationId).not.toBe(second!.context.invocationId);
    // last = the previous occurrence, next = the one after this occurrence
    const thisOne = Date.parse(second!.timer.scheduleStatus.lastUpdated);
    expect(second!.timer.scheduleStatus.last).toBe(first!.timer.scheduleStatus.lastUpdated);
    expect(Date.parse(second!.timer.scheduleStatus.next) - thisOne).toBe(1000);
    expect(thisOne % 1000).toBe(0);
    expect(first!.timer.isPastDue).toBe(false);
  });

  it('can be fired directly at a chosen time, and stops firing once closed', async () => {
    const { fn, calls } = recorder('0 * * * * *');
    const timers = startDevTimers([fn], { autoStart: false, log: () => undefined });
    await timers.fire('tick', new Date('2026-11-24T19:05:00Z'));
    expect(calls[0]!.timer.scheduleStatus.next).toBe('2026-11-24T19:06:00.000Z');
    await expect(timers.fire('nope')).rejects.toThrow('No timer function "nope"');
    await timers.close();
    expect(calls).toHaveLength(1);
  });

  it('runs one invocation at a time and logs a failed one without stopping', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let n = 0;
    const { fn, calls } = recorder('0 0 0 1 1 *', async () => {
      n++;
      if (n === 1) {
        await gate;
      } else {
        throw new Error('storage down');
      }
    });
    const lines: string[] = [];
    const timers = startDevTimers([fn], { autoStart: false, log: (l) => lines.push(l) });
    const a = timers.fire('tick');
    const b = timers.fire('tick'); // joins the running one
    release();
    await Promise.all([a, b]);
    expect(calls).toHaveLength(1);
    await timers.fire('tick');
    expect(calls).toHaveLength(2);
    expect(lines).toContain('[error] tick: storage down');
    await timers.close();
  });
});
