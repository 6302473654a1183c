import type { SyncLogEntry } from '../storage/sync-log-repository';
import type { Leased, SyncState } from '../storage/sync-state-repository';
import type { Fields } from './model';
import type { RunDeps } from './runner';

/**
 * The user connected another Microsoft account: the old account's cursors (its To Do list
 * id, its delta links) and links mean nothing for the new one. The links are retired (no
 * item is written or deleted on either side) and both cursors are cleared, so this run
 * reads both sides in full, as a first run does, and pairs the new account's items. Safe
 * to repeat: the account is recorded only after the links are gone.
 */
export async function adoptAccount<F extends Fields>(
  deps: RunDeps<F>,
  lease: Leased,
  account: string,
  log: (e: Omit<SyncLogEntry, 'time' | 'entity'>) => void,
  /** Saves at the run's lease (LeaseKeeper.update): the run keeps holding it. */
  save: (state: SyncState) => Promise<Leased>,
): Promise<Leased> {
  if (lease.state.account === undefined) {
    // A first run, or a row from before accounts were recorded: its cursors are this account's.
    return save({ ...lease.state, account });
  }
  return startAfresh(
    deps,
    log,
    (retired) =>
      `another Microsoft account was connected: ${retired} link(s) to the previous account's items retired (no item changed on either side); both sides are read in full`,
    () => save({ ...lease.state, cursors: {}, account }),
  );
}

/**
 * Retires every link of the user and entity (nothing is written or deleted on either side),
 * logs why in the admin's words (`detail`, given how many links went), then saves the state
 * with cleared cursors (`save`): the run reads both sides in full and pairs them afresh.
 */
export async function startAfresh<F extends Fields>(
  deps: RunDeps<F>,
  log: (e: Omit<SyncLogEntry, 'time' | 'entity'>) => void,
  detail: (retired: number) => string,
  save: () => Promise<Leased>,
): Promise<Leased> {
  const retired = await deps.links.retire(deps.userId, deps.entity);
  log({
    action: 'unlink',
    direction: 'none',
    oroId: null,
    microsoftId: null,
    outcome: 'ok',
    detail: detail(retired),
  });
  return save();
}
