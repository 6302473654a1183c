/** The days before and after today that calendar sync covers (CALENDAR_WINDOW_* settings). */
export interface CalendarWindow {
  pastDays: number;
  futureDays: number;
}

export const DEFAULT_CALENDAR_WINDOW: CalendarWindow = { pastDays: 30, futureDays: 365 };
