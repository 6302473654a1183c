import { nextSlot } from '../../../../shared/scheduling/cadence';
import { addMinutes, slotOf, slotTime } from '../../../../shared/storage/schedule-repository';

describe('schedule slots', () => {
  it('names the UTC minute and reads back to its start', () => {
    expect(slotOf(new Date('2026-11-24T19:05:59.999Z'))).toBe('202611241905');
    expect(slotOf(new Date('2026-11-24T20:05:00+01:00'))).toBe('202611241905');
    expect(slotTime('202611241905').toISOString()).toBe('2026-11-24T19:05:00.000Z');
  });

  it('adds minutes across hour, day and year ends', () => {
    expect(addMinutes('202611241959', 1)).toBe('202611242000');
    expect(addMinutes('202612312359', 2)).toBe('202701010001');
    expect(addMinutes('202611241905', 1440)).toBe('202611251905');
  });

  it('refuses anything that is not a 12-digit minute', () => {
    expect(() => slotTime('2026112419')).toThrow('not a schedule slot');
    expect(() => slotTime('user:101')).toThrow('not a schedule slot');
  });

  it('moves on by the interval from the due slot when run on time', () => {
    expect(nextSlot('202611241900', 15, '202611241900')).toBe('202611241915');
    expect(nextSlot('202611241900', 1, '202611241900')).toBe('202611241901');
  });

  it('keeps the cadence after missed minutes instead of firing once per missed interval', () => {
    // due 19:00 every 15 min, caught up at 19:40: next is 19:45, not 19:15 (already past)
    expect(nextSlot('202611241900', 15, '202611241940')).toBe('202611241945');
    // exactly on a later beat: that beat is now, so the one after
    expect(nextSlot('202611241900', 15, '202611241945')).toBe('202611242000');
  });

  it('always lands after the run, even for an odd interval value', () => {
    expect(nextSlot('202611241900', 0, '202611241903')).toBe('202611241904');
    expect(nextSlot('202611241900', 2.7, '202611241900')).toBe('202611241902');
  });
});
