import type { SyncLogEntry } from '../storage/sync-log-repository';
import type { Leased, SyncState } from '../storage/sync-state-repository';
import type { Fields } from './model';
import { SideError } from './ports';
import type { RunDeps } from './runner';
import { startAfresh } from './account-switch';

/**
 * The user chose another Outlook calendar or To Do list (calendar.microsoftCalendarId,
 * tasks.microsoftListId): the links and the cursors belong to the old one. As for another
 * account (account-switch.ts), the links are retired, not acted on, so nothing in the old
 * calendar or list is deleted or changed, and the cursors are cleared, so this run reads
 * both sides in full as a first run does and pairs the new one's items.
 *
 * Atomic with respect to other runs: it happens inside the run, under its lease, and the
 * new state is saved at the lease's ETag. A run built from settings read before the choice
 * changed again finds a choice other than the current one and stops before touching
 * anything (retryable), so a stale run never switches back. Safe to repeat: the choice is
 * recorded only after the links are gone.
 */
export async function adoptFolder<F extends Fields>(
  deps: RunDeps<F>,
  lease: Leased,
  log: (e: Omit<SyncLogEntry, 'time' | 'entity'>) => void,
  /** Saves at the run's lease (LeaseKeeper.update): the run keeps holding it. */
  save: (state: SyncState) => Promise<Leased>,
): Promise<Leased> {
  const folder = deps.sides.microsoft.folder;
  const recorded = lease.state.folder;
  // Nothing recorded: the account's default one (rows from before the choice existed too).
  if (!folder || recorded?.chosen === folder.chosen) {
    return lease;
  }
  if (deps.folderChoice && (await deps.folderChoice()) !== folder.chosen) {
    throw new SideError(
      'microsoft',
      `The ${folder.kind} chosen for sync changed again while this run started; the next run syncs the one chosen now.`,
      'retryable',
    );
  }
  const next = await folder.describe(folder.chosen);
  const record = {
    ...(folder.chosen === undefined ? {} : { chosen: folder.chosen }),
    id: next.id,
    name: next.name,
  };
  const fresh =
    lease.state.cursors.microsoft === undefined &&
    (await deps.links.list(deps.userId, deps.entity)).length === 0;
  const previous = fresh ? undefined : (recorded ?? (await folder.describe(undefined)));
  if (!previous || previous.id === next.id) {
    // A first run, or the same calendar named another way (its id chosen where it was the
    // default, or the choice cleared where the default was chosen): nothing to start again.
    return save({ ...lease.state, folder: record });
  }
  return startAfresh(
    deps,
    log,
    (retired) =>
      `switched to ${folder.kind} "${next.name}": ${retired} link(s) to the old ${folder.kind} "${previous.name}" retired, nothing deleted in it; both sides are read in full and paired with the new ${folder.kind}`,
    () => save({ ...lease.state, cursors: {}, folder: record }),
  );
}
