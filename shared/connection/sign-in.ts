import type { AuthenticationResult } from '@azure/msal-node';
import { createMsalClient, GRAPH_SCOPES, REQUIRED_SCOPES } from '../auth/msal';
import { sealTokenCache } from '../auth/token-cache';
import type { SecretBox } from '../crypto/secret-box';
import { isAppErrorCode } from '../errors/app-error';
import { sealedSecret } from '../settings/model';
import type { SettingsService } from '../settings/service';
import type { ConnectionRepository, StoredAccount } from '../storage/connection-repository';
import type { AccountClaims } from './account-claims';
import type { CallbackOutcome, CallbackQuery, ConnectionListener } from './connection-service';

const MAX_ATTEMPTS = 5;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const verifierContext = (userId: string) => `oauthstate/${userId}/verifier`;

/**
 * The second half of a sign-in, after the single-use state was consumed: redeem the code,
 * check what Microsoft granted, claim the account for this user, and only then replace the
 * stored account and tokens.
 */
export class SignInCompletion {
  constructor(
    private readonly deps: {
      settings: SettingsService;
      connections: ConnectionRepository;
      secrets: SecretBox;
      authorityHost: string;
      claims: AccountClaims;
      /** The service's listeners (the array itself, so later registrations count). */
      listeners: readonly ConnectionListener[];
      schedule?: { connected(userId: string, now: Date): Promise<void> };
    },
  ) {}

  /**
   * Redeems the code into a cache of its own (MSAL's in-memory one) and checks the result;
   * only a sign-in that passed every check replaces the stored account and tokens, so a
   * bad callback (tampered or foreign code, refused scope, other directory, an account
   * linked to another user) leaves a working connection as it was.
   */
  async redeem(
    userId: string,
    pending: { expiresAt: string; sealedVerifier: string },
    query: CallbackQuery,
    now: Date,
  ): Promise<CallbackOutcome> {
    if (Date.parse(pending.expiresAt) < now.getTime()) {
      return {
        ok: false,
        userId,
        error: 'The sign-in took longer than 10 minutes and expired; start again.',
      };
    }
    if (query.error) {
      return {
        ok: false,
        userId,
        error:
          query.error === 'access_denied'
            ? 'Sign-in was cancelled.'
            : `Microsoft sign-in failed: ${firstLine(query.error_description) ?? query.error}.`,
      };
    }
    if (!query.code) {
      return { ok: false, userId, error: 'The sign-in response has no authorization code.' };
    }

    const app = await this.deps.settings.microsoftApp(userId);
    const verifier = this.deps.secrets.open(
      sealedSecret.parse(JSON.parse(pending.sealedVerifier)),
      verifierContext(userId),
    );
    const client = createMsalClient(app, this.deps.authorityHost);
    let result: AuthenticationResult;
    try {
      result = await client.acquireTokenByCode({
        code: query.code,
        codeVerifier: verifier,
        redirectUri: app.redirectUri,
        scopes: [...GRAPH_SCOPES],
      });
    } catch (error) {
      return {
        ok: false,
        userId,
        error: `Microsoft did not accept the sign-in: ${describeAuthError(error)}`,
      };
    }
    const account = result.account;
    const granted = result.scopes.map((s) => s.toLowerCase());
    const missing = REQUIRED_SCOPES.filter((s) => !granted.includes(s.toLowerCase()));
    const tenantMismatch =
      GUID.test(app.tenantId) && result.tenantId.toLowerCase() !== app.tenantId.toLowerCase();
    if (!account || missing.length > 0 || tenantMismatch) {
      return {
        ok: false,
        userId,
        error: !account
          ? 'Microsoft returned no account.'
          : missing.length > 0
            ? `These permissions were not granted: ${missing.join(', ')}. Sign in again and accept them, or ask an administrator to grant consent.`
            : `The account ${account.username} belongs to another directory (tenant ${result.tenantId}) than the configured one (${app.tenantId}).`,
      };
    }
    const claim = await this.deps.claims.claim(userId, account, now);
    if (!claim.ok) {
      return { ok: false, userId, error: claim.error };
    }
    const stamp = now.toISOString();
    let previous: StoredAccount | undefined;
    try {
      previous = await this.replaceConnection(
        userId,
        {
          status: 'connected',
          homeAccountId: account.homeAccountId,
          username: account.username,
          displayName: account.name ?? account.username,
          tenantId: result.tenantId,
          scopes: result.scopes,
          connectedAt: stamp,
          updatedAt: stamp,
          claimed: true,
        },
        sealTokenCache(this.deps.secrets, userId, client.getTokenCache().serialize()),
      );
    } catch (error) {
      if (claim.taken) {
        await this.deps.claims.release(userId, account.homeAccountId);
      }
      throw error;
    }
    if (previous && previous.homeAccountId !== account.homeAccountId) {
      await this.deps.claims.release(userId, previous.homeAccountId);
    }
    await this.deps.schedule?.connected(userId, now);
    for (const listener of this.deps.listeners) {
      // The sign-in stands even when a listener fails: subscriptions are made again by the
      // next sync run's ensure, and until then changes arrive by polling.
      await listener.connected(userId).catch(() => undefined);
    }
    return { ok: true, userId, accountName: account.username };
  }

  /**
   * Swaps in the new account and its tokens in one transaction, at the ETags read (retried
   * when a refresh or another sign-in wrote meanwhile). A switch to another Microsoft
   * account first ends the old account's subscriptions, while its tokens still work.
   * Returns the account the user had before.
   */
  private async replaceConnection(
    userId: string,
    next: StoredAccount,
    sealedCache: string,
  ): Promise<StoredAccount | undefined> {
    let ended: string | undefined;
    for (let attempt = 1; ; attempt++) {
      const [row, cache] = await Promise.all([
        this.deps.connections.getAccount(userId),
        this.deps.connections.getCache(userId),
      ]);
      const previous = row?.value;
      if (
        previous &&
        previous.status !== 'disconnected' &&
        previous.homeAccountId !== next.homeAccountId &&
        previous.homeAccountId !== ended
      ) {
        // Once per account replaced (a retry may find another sign-in's account in between).
        for (const listener of this.deps.listeners) {
          await listener.disconnecting(userId);
        }
        ended = previous.homeAccountId;
      }
      try {
        await this.deps.connections.replaceConnection(userId, next, row?.etag, sealedCache, cache?.etag);
        return previous;
      } catch (error) {
        const raced = isAppErrorCode(error, 'precondition-failed') || isAppErrorCode(error, 'conflict');
        if (!raced || attempt >= MAX_ATTEMPTS) {
          throw error;
        }
      }
    }
  }

  /** Remembers why the last sign-in failed, for the connection status (at the ETag read). */
  async noteFailure(userId: string, message: string, now: Date): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.deps.connections.getSignInNote(userId);
      try {
        await this.deps.connections.saveSignInNote(userId, { at: now.toISOString(), message }, current?.etag);
        return;
      } catch (error) {
        const raced = isAppErrorCode(error, 'precondition-failed') || isAppErrorCode(error, 'conflict');
        if (!raced || attempt >= MAX_ATTEMPTS) {
          throw error;
        }
      }
    }
  }
}

export function firstLine(text: string | undefined): string | undefined {
  return text?.split(/\r?\n/)[0]?.trim() || undefined;
}

/** MSAL's error, without trace and correlation ids. */
export function describeAuthError(error: unknown): string {
  if (error instanceof Error) {
    const message = (error as { errorMessage?: string }).errorMessage || error.message;
    return firstLine(message.replace(/^[a-z_]+: /, '')) ?? 'unknown error';
  }
  return String(error);
}
