import { slidingPace } from '../../../../shared/scheduling/pace';

describe('slidingPace', () => {
  it('lets no more than the budget through in any one-second window, and waits rather than refuses', async () => {
    const pace = slidingPace(10);
    const granted: { at: number; n: number }[] = [];
    const started = performance.now();
    for (const n of [4, 4, 4, 4, 4]) {
      await pace(n);
      granted.push({ at: performance.now(), n });
    }
    for (const g of granted) {
      const window = granted.filter((o) => o.at > g.at - 1000 && o.at <= g.at);
      expect(window.reduce((sum, o) => sum + o.n, 0)).toBeLessThanOrEqual(10);
    }
    // 20 operations at 10 a second: the fifth waits for the second window
    expect(performance.now() - started).toBeGreaterThanOrEqual(1900);
  });

  it('caps a single request at the budget instead of waiting forever', async () => {
    const pace = slidingPace(10);
    const started = performance.now();
    await pace(100);
    expect(performance.now() - started).toBeLessThan(100);
  });
});
