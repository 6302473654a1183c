import type { Pace } from '../storage/schedule-repository';

/**
 * At most `perSecond` operations in any window of one second (a sliding window, not a
 * token bucket, whose burst would allow twice the rate across a window's edge). One shard's
 * work runs in one session at a time, so a pace per shard worker bounds its partition.
 */
export function slidingPace(perSecond: number, now: () => number = () => performance.now()): Pace {
  const log: { at: number; n: number }[] = [];
  let used = 0;
  return async (operations) => {
    const n = Math.min(Math.max(0, operations), perSecond);
    for (;;) {
      const t = now();
      while (log.length > 0 && log[0]!.at <= t - 1000) {
        used -= log.shift()!.n;
      }
      if (used + n <= perSecond) {
        log.push({ at: t, n });
        used += n;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, log[0]!.at + 1000 - t)));
    }
  };
}
