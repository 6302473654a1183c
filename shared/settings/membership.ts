import { AppError, isAppErrorCode, notFound } from '../errors/app-error';
import type { SettingsRecord, SettingsRepository } from '../storage/settings-repository';
import { raceAware, retryLostRaces } from './races';
import { describe } from './read';
import type { ResolvedUser } from './service';

/*
 * Which organization a user belongs to, kept consistent without a transaction: the user
 * rows and the organization rows are in different partitions, so a user joining and the
 * organization's deletion are ordered instead. A deletion marks the organization's row,
 * then looks for its users, then deletes at the marked ETag; a user checks the
 * organization after its own write. One of the two always sees the other.
 */

/** How long a user joining an organization waits for a deletion under way to decide. */
const DELETION_WAIT_MS = 3_000;

/**
 * Deletes an organization read at `current` unless a user belongs to it (409). A user
 * joining concurrently either sees the mark (and waits for the outcome) or is seen here.
 */
export async function deleteOrganization(
  repository: SettingsRepository,
  id: string,
  current: SettingsRecord,
): Promise<void> {
  const hasUsers = () =>
    new AppError(
      'conflict',
      `${describe('organization', id)} still has users; delete them or move them to another organization first`,
    );
  // The common refusal changes nothing (no mark); the mark is for a deletion that may proceed.
  if (await repository.hasUsersInOrganization(id)) {
    throw hasUsers();
  }
  const marked = await raceAware(() =>
    repository.replace(
      'organization',
      id,
      { overrides: current.overrides, deletingSince: new Date().toISOString() },
      current.etag,
    ),
  );
  if (await repository.hasUsersInOrganization(id)) {
    await unmark(repository, id, marked); // a user joined meanwhile
    throw hasUsers();
  }
  await raceAware(() => repository.delete('organization', id, marked.etag));
}

/** A deletion refused: the mark goes, unless a write already replaced the row (which cleared it). */
async function unmark(repository: SettingsRepository, id: string, marked: SettingsRecord): Promise<void> {
  try {
    await repository.replace('organization', id, { overrides: marked.overrides }, marked.etag);
  } catch (error) {
    if (!isAppErrorCode(error, 'precondition-failed')) {
      throw error;
    }
  }
}

/**
 * A user just written into an organization checks, after its write, that the organization
 * is still there. A deletion's mark is waited out: the deletion either found this user
 * (and unmarks: the user stays) or did not (the row goes: the user's write is undone, 404).
 * `before` is the user's row before its write (undefined: the write created it).
 */
export async function confirmJoin(
  repository: SettingsRepository,
  userId: string,
  organizationId: string,
  before: SettingsRecord | undefined,
): Promise<void> {
  if (await settledOrganization(repository, organizationId)) {
    return;
  }
  await retryLostRaces(describe('user', userId), false, async () => {
    const now = await repository.get('user', userId);
    if (now?.organizationId !== organizationId) {
      return; // someone else moved or deleted the user meanwhile
    }
    await raceAware(async () => {
      if (!before) {
        return repository.delete('user', userId, now.etag);
      }
      const back = before.organizationId === undefined ? {} : { organizationId: before.organizationId };
      await repository.replace('user', userId, { overrides: now.overrides, ...back }, now.etag);
    });
  });
  throw notFound(`${describe('organization', organizationId)} does not exist (it was deleted meanwhile)`);
}

/**
 * The organization once no deletion is deciding about it (undefined: it is gone). A
 * deletion's mark is waited out; one that stays DELETION_WAIT_MS (by our clock, so no
 * clock of another host counts) was left by a deletion that died or stalls, and is
 * cleared at the marked ETag: that deletion can then no longer delete at it, and its retry
 * starts over and sees the user. Otherwise a dead deletion would refuse joins for good.
 */
export async function settledOrganization(
  repository: SettingsRepository,
  organizationId: string,
): Promise<SettingsRecord | undefined> {
  let mark: { etag: string; seenAt: number } | undefined;
  for (;;) {
    const organization = await repository.get('organization', organizationId);
    if (organization?.deletingSince === undefined) {
      return organization;
    }
    if (mark?.etag !== organization.etag) {
      mark = { etag: organization.etag, seenAt: Date.now() };
    }
    if (Date.now() - mark.seenAt < DELETION_WAIT_MS) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      continue;
    }
    try {
      return await repository.replace(
        'organization',
        organizationId,
        { overrides: organization.overrides },
        organization.etag,
      );
    } catch (error) {
      if (!isAppErrorCode(error, 'precondition-failed')) {
        throw error; // a lost race reads the row again
      }
    }
  }
}

/** A user's settings never resolve through a missing organization (to global's credentials, say). */
export function requireOrganization({ userId, organizationId, organizationMissing }: ResolvedUser): void {
  if (organizationMissing) {
    throw new AppError(
      'conflict',
      `User "${userId}" belongs to organization "${organizationId ?? ''}", which does not exist; ` +
        "write the user's organizationId to move it to an existing organization.",
      { fieldErrors: [{ path: 'organizationId', message: 'organization does not exist' }] },
    );
  }
}
