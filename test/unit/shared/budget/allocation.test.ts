import {
  allocate,
  budgetOf,
  cut,
  decide,
  DEFAULT_AIMD,
  EMPTY_ROW,
  raise,
  withHolder,
  type BudgetRow,
} from '../../../../shared/budget/allocation';

const NOW = 1_000_000;
const LEASE = 30_000;
const row = (holders: BudgetRow['holders'], extra: Partial<BudgetRow> = {}): BudgetRow => ({
  ...EMPTY_ROW,
  holders,
  ...extra,
});
const entry = (held: number, want: number, max = 8, until = NOW + LEASE) => ({ held, want, max, until });

describe('allocate (max-min fair shares)', () => {
  it('gives everyone what it wants when the budget covers it', () => {
    expect(allocate(8, { a: 3, b: 2 })).toEqual({ a: 3, b: 2 });
  });

  it('shares equally among those who want more, and passes on what one does not want', () => {
    expect(allocate(8, { a: 10, b: 10 })).toEqual({ a: 4, b: 4 });
    expect(allocate(8, { a: 1, b: 10, c: 10 })).toEqual({ a: 1, b: 4, c: 3 });
  });

  it('never gives more than the budget in total, the last permits to the lowest ids', () => {
    expect(allocate(4, { c: 5, a: 5, b: 5 })).toEqual({ a: 2, b: 1, c: 1 });
    expect(allocate(0, { a: 5 })).toEqual({ a: 0 });
  });
});

describe('budgetOf', () => {
  it('is the lowest maximum among live holders (two organizations on one Oro)', () => {
    const r = row({ a: entry(0, 1, 8), b: entry(0, 1, 4) });
    expect(budgetOf(r, r.holders)).toBe(4);
  });

  it('is lowered by a throttling cut', () => {
    const r = row({ a: entry(0, 1, 8) }, { limit: 3 });
    expect(budgetOf(r, r.holders)).toBe(3);
  });
});

describe('decide', () => {
  it('takes the whole budget when alone, no more than it wants', () => {
    expect(decide(EMPTY_ROW, 'a', { inFlight: 0, want: 20, max: 8 }, NOW, LEASE)).toEqual({
      // A want beyond the maximum changes no share: it is written capped.
      entry: { held: 8, want: 8, max: 8, until: NOW + LEASE },
      allowed: 8,
      short: false,
    });
    expect(decide(EMPTY_ROW, 'a', { inFlight: 0, want: 3, max: 8 }, NOW, LEASE).allowed).toBe(3);
  });

  it('grows only into permits nobody holds: a newcomer waits for the holder to yield', () => {
    const r = row({ a: entry(8, 20) });
    const b = decide(r, 'b', { inFlight: 0, want: 20, max: 8 }, NOW, LEASE);
    expect(b.allowed).toBe(0);
    expect(b.short).toBe(true);
    expect(b.entry.want).toBe(8);
    // a sees b waiting: its fair share is 4, but the 6 in flight stay held until they answer.
    const withB = withHolder(r, 'b', b.entry, NOW);
    const a = decide(withB, 'a', { inFlight: 6, want: 20, max: 8 }, NOW, LEASE);
    expect(a).toEqual({ entry: { held: 6, want: 8, max: 8, until: NOW + LEASE }, allowed: 4, short: false });
    const later = decide(
      withHolder(withB, 'a', { ...a.entry, held: 4 }, NOW),
      'b',
      { inFlight: 0, want: 20, max: 8 },
      NOW,
      LEASE,
    );
    expect(later.allowed).toBe(4);
  });

  it("counts a dead holder's permits free once its lease lapsed", () => {
    const r = row({ dead: entry(8, 8, 8, NOW - 1) });
    expect(decide(r, 'b', { inFlight: 0, want: 8, max: 8 }, NOW, LEASE).allowed).toBe(8);
    expect(withHolder(r, 'b', undefined, NOW).holders).toEqual({});
  });

  it('starts nothing while a shared pause lasts, keeping what is in flight', () => {
    const r = row({}, { slowUntil: NOW + 1000 });
    expect(decide(r, 'a', { inFlight: 2, want: 5, max: 8 }, NOW, LEASE)).toEqual({
      entry: { held: 2, want: 5, max: 8, until: NOW + LEASE },
      allowed: 0,
      short: true,
    });
  });
});

describe('AIMD', () => {
  const busy = row({ a: entry(8, 8) });

  it('cuts the budget by a quarter on throttling, once per window, and pauses for a Retry-After', () => {
    const once = cut(busy, NOW, 2000, DEFAULT_AIMD);
    expect(once.limit).toBe(6);
    expect(once.slowUntil).toBe(NOW + 2000);
    expect(cut(once, NOW + 10, undefined, DEFAULT_AIMD).limit).toBe(6);
    expect(cut(once, NOW + DEFAULT_AIMD.cutWindowMs, undefined, DEFAULT_AIMD).limit).toBe(4);
  });

  it('never cuts below one permit and caps the pause', () => {
    const low = row({ a: entry(1, 1) }, { limit: 1 });
    const next = cut(low, NOW, 10 * 60_000, DEFAULT_AIMD);
    expect(next.limit).toBe(1);
    expect(next.slowUntil).toBe(NOW + DEFAULT_AIMD.maxSlowMs);
  });

  it('adds one permit per quiet second up to just below the refused budget, then probes past it slowly', () => {
    let r = cut(busy, NOW, undefined, DEFAULT_AIMD); // refused at 8: 6, ceiling 8
    expect(r.ceiling).toBe(8);
    expect(raise(r, NOW + 1, DEFAULT_AIMD)).toBe(r);
    r = raise(r, NOW + DEFAULT_AIMD.raiseEveryMs, DEFAULT_AIMD);
    expect(r.limit).toBe(7);
    // 8 was refused: the next permit only after a probe period.
    expect(raise(r, NOW + 2 * DEFAULT_AIMD.raiseEveryMs, DEFAULT_AIMD).limit).toBe(7);
    r = raise(r, NOW + DEFAULT_AIMD.raiseEveryMs + DEFAULT_AIMD.probeEveryMs, DEFAULT_AIMD);
    expect(r.limit).toBeUndefined(); // the configured 8 is back
  });
});
