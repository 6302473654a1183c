/** The days before and after today that calendar sync covers (CALENDAR_WINDOW_* settings). */
export interface CalendarWindow {
  pastDays: number;
  futureDays: number;
}

export const DEFAULT_CALENDAR_WINDOW: CalendarWindow = { pastDays: 30, futureDays: 365 };

/**
 * How far the read window moves at once. Graph's calendarView/delta token encodes its
 * window, so every move of the window is a new delta round (a full read of the window):
 * a window that followed the clock day by day made every user's calendar a full re-read
 * once a day. Moving it in 30-day steps makes that once a month.
 */
export const WINDOW_STEP_DAYS = 30;

const DAY = 86_400_000;

/**
 * The window read at `now`: it always covers [today − pastDays, today + futureDays), and
 * changes only once every `stepDays`. Its start snaps down to a multiple of `stepDays`
 * days since 1970-01-01 (UTC), and its end carries one step of margin beyond the configured
 * future, so the configured span stays inside it until the next step. `stepDays: 1` is
 * the old daily window (kept for the benchmark's comparison).
 */
export function syncWindowAt(
  now: Date,
  window: CalendarWindow,
  stepDays = WINDOW_STEP_DAYS,
): { start: string; end: string } {
  const today = Math.floor(now.getTime() / DAY);
  const first = today - window.pastDays;
  const start = Math.floor(first / stepDays) * stepDays;
  const end =
    stepDays === 1 ? today + window.futureDays : start + stepDays + window.pastDays + window.futureDays;
  return { start: dayIso(start), end: dayIso(end) };
}

const dayIso = (day: number) => new Date(day * DAY).toISOString().replace('.000Z', 'Z');
