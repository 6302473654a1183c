import { syncWindowAt, WINDOW_STEP_DAYS, type CalendarWindow } from '../../../../shared/sync/calendar/window';

const DAY = 86_400_000;
const CONFIGURED: CalendarWindow = { pastDays: 30, futureDays: 365 };
const START = Date.parse('2026-01-01T09:30:00Z');

describe('syncWindowAt', () => {
  it('always covers the configured days around today, and moves once per step (not daily)', () => {
    const windows = new Set<string>();
    for (let d = 0; d < 2 * 365; d++) {
      const now = START + d * DAY;
      const today = Math.floor(now / DAY) * DAY;
      const w = syncWindowAt(new Date(now), CONFIGURED);
      expect(Date.parse(w.start)).toBeLessThanOrEqual(today - CONFIGURED.pastDays * DAY);
      expect(Date.parse(w.end)).toBeGreaterThanOrEqual(today + CONFIGURED.futureDays * DAY);
      windows.add(JSON.stringify(w));
    }
    // 730 days in 30-day steps: 25 windows (the first step is partial), not 730.
    expect(windows.size).toBeLessThanOrEqual(Math.ceil((2 * 365) / WINDOW_STEP_DAYS) + 1);
  });

  it('is the same window at any time of the same step, and whole UTC days in Graph’s format', () => {
    const a = syncWindowAt(new Date('2026-11-24T00:00:00Z'), CONFIGURED);
    const b = syncWindowAt(new Date('2026-11-26T23:59:59Z'), CONFIGURED);
    expect(a).toEqual(b);
    expect(a).toEqual({ start: '2026-10-04T00:00:00Z', end: '2027-12-03T00:00:00Z' });
  });

  it('with one-day steps is the old daily window', () => {
    expect(syncWindowAt(new Date('2026-11-24T12:00:00Z'), CONFIGURED, 1)).toEqual({
      start: '2026-10-25T00:00:00Z',
      end: '2027-11-24T00:00:00Z',
    });
  });
});
