/**
 * A schedule row's cadence: its interval and enabled flag resolved from the user's own values
 * over the levels the timer read, and the next slot on its rhythm.
 */
import type { ScheduleLeaves, ShardWork } from '../messaging/schedule-queue';
import { resolve, type FlatOverrides } from '../settings/model';
import { slotOf, slotTime, type DueRow, type Slot, type UserSchedule } from '../storage/schedule-repository';
import type { SyncEntity } from '../storage/sync-state-repository';

/** Interval and enabled of a due row: its user's own values over the work item's levels. */
export function decide(row: DueRow, work: ShardWork): { enabled: boolean; next: Slot } {
  const user: FlatOverrides = {
    ...(row.intervalMinutes !== undefined ? { syncIntervalMinutes: row.intervalMinutes } : {}),
    ...(row.enabled !== undefined ? { [`${row.entity}.enabled`]: row.enabled } : {}),
  };
  const organization = row.organizationId ? work.levels.organizations[row.organizationId] : undefined;
  const resolved = resolve({
    global: work.levels.global,
    ...(organization ? { organization } : {}),
    user,
  });
  return {
    enabled: resolved[`${row.entity}.enabled`].value === true,
    next: nextSlot(row.slot, Number(resolved.syncIntervalMinutes.value), work.through),
  };
}

export function scheduleLeavesOf(flat: FlatOverrides): ScheduleLeaves {
  const out: ScheduleLeaves = {};
  if (typeof flat.syncIntervalMinutes === 'number') {
    out.syncIntervalMinutes = flat.syncIntervalMinutes;
  }
  for (const key of ['calendar.enabled', 'tasks.enabled'] as const) {
    if (typeof flat[key] === 'boolean') {
      out[key] = flat[key];
    }
  }
  return out;
}

/** What a user's rows carry for one entity: their own interval and enabled, and organization. */
export function userSchedule(
  user: { overrides: FlatOverrides; organizationId?: string } | undefined,
  entity: SyncEntity,
): UserSchedule {
  const interval = user?.overrides.syncIntervalMinutes;
  const enabled = user?.overrides[`${entity}.enabled`];
  return {
    ...(user?.organizationId !== undefined ? { organizationId: user.organizationId } : {}),
    ...(typeof interval === 'number' ? { intervalMinutes: interval } : {}),
    ...(typeof enabled === 'boolean' ? { enabled } : {}),
  };
}

/**
 * The first slot after `through` on the user's cadence (due + k × interval): a late run
 * keeps the rhythm and does not fire once per missed interval.
 */
export function nextSlot(due: Slot, intervalMinutes: number, through: Slot): Slot {
  const interval = Math.max(1, Math.floor(intervalMinutes));
  const dueMs = slotTime(due).getTime();
  const late = slotTime(through).getTime() - dueMs;
  const steps = Math.floor(late / (interval * 60_000)) + 1;
  return slotOf(new Date(dueMs + steps * interval * 60_000));
}
