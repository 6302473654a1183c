import fc from 'fast-check';
import {
  toIana,
  toWindows,
  utcToZoned,
  zonedDate,
  zonedToUtc,
} from '../../../../shared/sync/calendar/time-zones';

describe('time zones', () => {
  it('maps Windows names to IANA and back', () => {
    expect(toIana('W. Europe Standard Time')).toBe('Europe/Berlin');
    expect(toIana('Pacific Standard Time')).toBe('America/Los_Angeles');
    expect(toIana('Europe/Paris')).toBe('Europe/Paris');
    expect(toIana('UTC')).toBe('UTC');
    expect(toIana('Mars Standard Time')).toBeUndefined();
    expect(toWindows('Europe/Berlin')).toBe('W. Europe Standard Time');
    expect(toWindows('America/New_York')).toBe('Eastern Standard Time');
  });

  it('converts wall clock to instants on both sides of a DST change', () => {
    // Berlin: CET (+1) before 2026-03-29 02:00, CEST (+2) after.
    expect(zonedToUtc('2026-03-28T09:00:00', 'Europe/Berlin').toISOString()).toBe('2026-03-28T08:00:00.000Z');
    expect(zonedToUtc('2026-03-30T09:00:00', 'Europe/Berlin').toISOString()).toBe('2026-03-30T07:00:00.000Z');
    expect(zonedToUtc('2026-03-12T20:30:00.0000000', 'America/New_York').toISOString()).toBe(
      '2026-03-13T00:30:00.000Z',
    );
  });

  it('moves a skipped time forward and takes the first of a repeated one', () => {
    expect(zonedToUtc('2026-03-29T02:30:00', 'Europe/Berlin').toISOString()).toBe('2026-03-29T01:30:00.000Z');
    expect(zonedToUtc('2026-10-25T02:30:00', 'Europe/Berlin').toISOString()).toBe('2026-10-25T00:30:00.000Z');
  });

  it('gives the calendar date in the zone, not in UTC', () => {
    expect(zonedDate('2026-03-12T23:30:00Z', 'Europe/Berlin')).toBe('2026-03-13');
    expect(zonedDate('2026-03-12T03:30:00Z', 'America/Los_Angeles')).toBe('2026-03-11');
  });

  it('round-trips every instant through the wall clock of any zone (outside skipped hours)', () => {
    const zones = ['Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Sydney', 'UTC'];
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-01'), max: new Date('2040-01-01'), noInvalidDate: true }),
        fc.constantFrom(...zones),
        (date, zone) => {
          const instant = new Date(Math.floor(date.getTime() / 1000) * 1000);
          const back = zonedToUtc(utcToZoned(instant, zone), zone);
          // A repeated hour maps to its first instant: equal, or exactly one DST step earlier.
          const diff = instant.getTime() - back.getTime();
          expect([0, 3600_000]).toContain(diff);
          expect(utcToZoned(back, zone)).toBe(utcToZoned(instant, zone));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('reads UTC and its aliases as Intl does, without a formatter', () => {
    const intl = (ms: number, zone: string) => {
      const parts = Object.fromEntries(
        new Intl.DateTimeFormat('en-US', {
          timeZone: zone,
          hourCycle: 'h23',
          year: 'numeric',
          month: '2-digit',
          day: '2-digit',
          hour: '2-digit',
          minute: '2-digit',
          second: '2-digit',
        })
          .formatToParts(new Date(ms))
          .map((p) => [p.type, p.value]),
      );
      return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
    };
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
        fc.constantFrom('UTC', 'Etc/UTC', 'Etc/Universal', 'Etc/Zulu', 'Universal', 'Zulu'),
        (date, zone) => {
          expect(utcToZoned(date, zone)).toBe(intl(date.getTime(), zone));
          const local = intl(date.getTime(), zone);
          expect(zonedToUtc(local, zone).getTime()).toBe(Math.floor(date.getTime() / 1000) * 1000);
        },
      ),
      { numRuns: 500 },
    );
  });
});
