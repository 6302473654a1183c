import { DEFAULT_TIMINGS, SharedBudgets, type BudgetTimings } from '../../shared/budget/shared-budget';
import { BudgetRepository } from '../../shared/storage/budget-repository';
import type { TestStackHandle } from './stack';

/** Budget timings short enough for a test: a waiter polls every 20 ms. */
const FAST: BudgetTimings = { ...DEFAULT_TIMINGS, pollMs: 20, checkMs: 100, lingerMs: 100 };

/** Long enough for a call outside runs to finish when it does not wait (they take well under 1 s). */
export const WAITED_MS = 2_500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** 'pending' when `p` has not settled after `ms`. */
export const stateAfter = (p: Promise<unknown>, ms = WAITED_MS): Promise<'settled' | 'pending'> =>
  Promise.race([
    p.then(
      () => 'settled' as const,
      () => 'settled' as const,
    ),
    sleep(ms).then(() => 'pending' as const),
  ]);

/**
 * Another Functions instance over the test stack's budgets table, made afresh for each test
 * and closed after it: its runs hold the permits a test fills.
 */
export function useOtherInstance(t: TestStackHandle): () => SharedBudgets {
  let other: SharedBudgets | undefined;
  beforeEach(() => {
    other = new SharedBudgets(new BudgetRepository(t.stack.services.tables), FAST);
  });
  afterEach(async () => {
    await other?.close();
    other = undefined;
  });
  return () => {
    if (!other) {
      throw new Error('useOtherInstance: only inside a test');
    }
    return other;
  };
}
