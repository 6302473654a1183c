import type { SyncState } from '../storage/sync-state-repository';
import type { Side, SyncSettings } from './model';

/** Whether a side's changes reach the other side under a direction. */
const sends = (direction: string, side: Side): boolean =>
  direction === 'bidirectional' || direction === (side === 'oro' ? 'oro-to-microsoft' : 'microsoft-to-oro');

/**
 * The cursors to read from. A side whose changes the last completed run did not send (one
 * way the other way) and this run does is read in full once: what it created or changed
 * meanwhile was logged as skipped and its cursor moved past it, so it would never come again.
 */
export function cursorsFor(state: SyncState, direction: SyncSettings['direction']): Record<string, string> {
  const before = state.direction;
  if (!before || before === direction) {
    return state.cursors;
  }
  const cursors = { ...state.cursors };
  for (const side of ['oro', 'microsoft'] as const) {
    if (!sends(before, side) && sends(direction, side)) {
      delete cursors[side];
    }
  }
  return cursors;
}
