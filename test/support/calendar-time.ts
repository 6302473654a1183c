/** Calendar test times: a date-time n days from today at hh:00 UTC, in Oro's and Graph's wire formats. */
export const DAY = 86_400_000;

export const at = (days: number, hour: number): Date => {
  const d = new Date(Date.now() + days * DAY);
  d.setUTCHours(hour, 0, 0, 0);
  return d;
};

/** Oro's REST format: whole seconds with +00:00 (OroCalendarBundle's functional tests). */
export const oroTime = (d: Date): string => d.toISOString().replace('.000Z', '+00:00');

/** Graph's dateTimeTimeZone: 7 fractional digits, no offset, the zone beside it. */
export const graphTime = (d: Date): { dateTime: string; timeZone: string } => ({
  dateTime: d.toISOString().replace('Z', '').replace('.000', '.0000000'),
  timeZone: 'UTC',
});
