import { isAppErrorCode } from '../errors/app-error';
import type { ConnectionRepository, StoredAccount, Versioned } from '../storage/connection-repository';

/**
 * How long a claim whose user does not (yet) show the account counts as a sign-in still
 * finishing. A sign-in writes its claim and then its account row within milliseconds; only
 * a claim left behind by a crash between the two is older, and is taken over after this.
 */
export const CLAIM_GRACE_MS = 5 * 60_000;
const MAX_ATTEMPTS = 5;

export type ClaimResult = { ok: true; taken: boolean } | { ok: false; error: string };

/**
 * One Microsoft account is linked to one Oro user at a time. The link is a claim row keyed
 * by the account's home id (object id and tenant), created with create-only semantics
 * (Table Storage's insert fails when the row exists), so of two users connecting the same
 * account at once exactly one gets it. Released on disconnect and when the user switches
 * to another account; taken over at its ETag only when its holder no longer shows it.
 */
export class AccountClaims {
  constructor(
    private readonly repository: ConnectionRepository,
    /** Whether an Oro user still exists in the settings (a deleted user holds nothing). */
    private readonly userExists: (userId: string) => Promise<boolean>,
  ) {}

  /** `taken`: this call created or took over the claim (so a failure after it gives it back). */
  async claim(
    userId: string,
    account: { homeAccountId: string; username: string },
    now: Date,
  ): Promise<ClaimResult> {
    const mine = { userId, claimedAt: now.toISOString() };
    for (let attempt = 1; ; attempt++) {
      const existing = await this.repository.getClaim(account.homeAccountId);
      if (existing?.value.userId === userId) {
        return { ok: true, taken: false };
      }
      if (existing) {
        const holder = existing.value.userId;
        const row = await this.repository.getAccount(holder);
        const shown =
          row !== undefined &&
          row.value.status !== 'disconnected' &&
          row.value.homeAccountId.toLowerCase() === account.homeAccountId.toLowerCase();
        if (shown && (await this.userExists(holder))) {
          return {
            ok: false,
            error:
              `The Microsoft account ${account.username} is already connected to Oro user "${holder}". ` +
              'An account is linked to one Oro user at a time: an administrator disconnects it from that user first, then connects it here.',
          };
        }
        if (!shown && now.getTime() - Date.parse(existing.value.claimedAt) < CLAIM_GRACE_MS) {
          return {
            ok: false,
            error:
              `The Microsoft account ${account.username} is being connected to Oro user "${holder}" at this moment. ` +
              'An account is linked to one Oro user at a time: an administrator disconnects it from that user first, then connects it here.',
          };
        }
      }
      try {
        await this.repository.saveClaim(account.homeAccountId, mine, existing?.etag);
        return { ok: true, taken: true };
      } catch (error) {
        const raced = isAppErrorCode(error, 'conflict') || isAppErrorCode(error, 'precondition-failed');
        if (!raced || attempt >= MAX_ATTEMPTS) {
          throw error;
        }
      }
    }
  }

  /**
   * A connection written before claims existed (its row has no `claimed` mark) claims its
   * account on its next use, as a sign-in would; the mark spares later uses the claim's
   * reads. Returns why it may not (another user claimed the account meanwhile), or
   * undefined. A mark lost to a concurrent write of the row is put by the next use.
   */
  async adopt(userId: string, row: Versioned<StoredAccount>, now: Date): Promise<string | undefined> {
    const claim = await this.claim(userId, row.value, now);
    if (!claim.ok) {
      return claim.error;
    }
    try {
      await this.repository.saveAccount(userId, { ...row.value, claimed: true }, row.etag);
    } catch (error) {
      if (!isAppErrorCode(error, 'precondition-failed') && !isAppErrorCode(error, 'conflict')) {
        throw error;
      }
    }
    return undefined;
  }

  /** Gives the account free, if this user still holds it (a claim of another user is left alone). */
  async release(userId: string, homeAccountId: string): Promise<void> {
    const existing = await this.repository.getClaim(homeAccountId);
    if (existing?.value.userId === userId) {
      await this.repository.deleteClaim(homeAccountId, existing.etag);
    }
  }
}
