import { randomBytes } from 'node:crypto';
import { CryptoProvider, InteractionRequiredAuthError } from '@azure/msal-node';
import { createMsalClient, GRAPH_SCOPES } from '../auth/msal';
import { TableTokenCache, TokenCacheConflict } from '../auth/token-cache';
import type { SecretBox } from '../crypto/secret-box';
import { AppError, isAppErrorCode } from '../errors/app-error';
import type { GraphClients } from '../microsoft/graph-client';
import type { MicrosoftApp, SettingsService } from '../settings/service';
import type { ConnectionRepository, StoredAccount } from '../storage/connection-repository';
import type { OAuthStateRepository } from '../storage/oauth-state-repository';
import { AccountClaims } from './account-claims';
import { checkGraph } from './check-graph';
import { describeAuthError, SignInCompletion, verifierContext } from './sign-in';

export const STATE_TTL_MS = 10 * 60_000;
const MAX_ATTEMPTS = 5;

export interface ConnectionView {
  status: StoredAccount['status'];
  accountName?: string;
  displayName?: string;
  connectedAt?: string;
  reason?: string;
  /** The last sign-in attempt, when it failed after the last one that succeeded. */
  signInError?: { at: string; message: string };
}

export interface CheckResult {
  ok: boolean;
  checks: { name: 'profile' | 'calendar' | 'tasks' | 'oro-calendar'; ok: boolean; detail?: string }[];
}

/** A check of something besides the Microsoft account (the user's Oro calendar); undefined: not applicable. */
export type ExtraCheck = (userId: string) => Promise<CheckResult['checks'][number] | undefined>;

/** What the OAuth callback page reports to the portal. */
export interface CallbackOutcome {
  ok: boolean;
  userId?: string;
  accountName?: string;
  error?: string;
}

export interface CallbackQuery {
  code?: string | undefined;
  state?: string | undefined;
  error?: string | undefined;
  error_description?: string | undefined;
}

/** Told when an account is connected or about to be disconnected (subscriptions follow it). */
export interface ConnectionListener {
  connected(userId: string): Promise<void>;
  /** Called while the tokens still exist, so the listener can still call Graph. */
  disconnecting(userId: string): Promise<void>;
}

/**
 * Connect, check and disconnect a user's Microsoft 365 account, and hand out Graph
 * access tokens for it. Tokens exist only inside MSAL's cache, sealed in storage.
 */
export class ConnectionService {
  private readonly crypto = new CryptoProvider();
  private readonly claims: AccountClaims;
  private readonly signIn: SignInCompletion;
  readonly listeners: ConnectionListener[] = [];
  /** Checks Check Connection runs beside Microsoft's (composed in shared/app). */
  readonly extraChecks: ExtraCheck[] = [];

  constructor(
    private readonly settings: SettingsService,
    private readonly connections: ConnectionRepository,
    private readonly states: OAuthStateRepository,
    private readonly secrets: SecretBox,
    /** `graph`: the user's Graph client, under their mailbox budget (shared/app/graph-clients.ts). */
    private readonly microsoft: { authorityHost: string; graph: GraphClients },
    /** The schedule: a user is on it while connected. */
    private readonly schedule?: {
      connected(userId: string, now: Date): Promise<void>;
      disconnected(userId: string): Promise<void>;
    },
  ) {
    this.claims = new AccountClaims(connections, (userId) =>
      settings.requireUser(userId).then(
        () => true,
        (error: unknown) => {
          if (isAppErrorCode(error, 'not-found')) {
            return false;
          }
          throw error;
        },
      ),
    );
    this.signIn = new SignInCompletion({
      settings,
      connections,
      secrets,
      authorityHost: microsoft.authorityHost,
      claims: this.claims,
      listeners: this.listeners,
      ...(schedule ? { schedule } : {}),
    });
  }

  /** Starts a sign-in: a single-use state with a PKCE verifier, and the URL to open in a popup. */
  async authorize(userId: string, now = new Date()): Promise<{ authorizeUrl: string; expiresAt: string }> {
    const app = await this.settings.microsoftApp(userId);
    const { verifier, challenge } = await this.crypto.generatePkceCodes();
    const state = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + STATE_TTL_MS).toISOString();
    await this.states.save(state, {
      userId,
      sealedVerifier: JSON.stringify(this.secrets.seal(verifier, verifierContext(userId))),
      expiresAt,
    });
    const authorizeUrl = await createMsalClient(app, this.microsoft.authorityHost).getAuthCodeUrl({
      scopes: [...GRAPH_SCOPES],
      redirectUri: app.redirectUri,
      codeChallenge: challenge,
      codeChallengeMethod: 'S256',
      state,
      prompt: 'select_account',
    });
    return { authorizeUrl, expiresAt };
  }

  /** Finishes a sign-in from the browser's redirect. Never throws for the user's mistakes: they become the outcome. */
  async completeSignIn(query: CallbackQuery, now = new Date()): Promise<CallbackOutcome> {
    if (!query.state) {
      return { ok: false, error: 'The sign-in response has no state; start again from the portal.' };
    }
    const consumed = await this.states.consume(query.state);
    if (!consumed.ok) {
      return {
        ok: false,
        error:
          consumed.reason === 'used'
            ? 'This sign-in was already completed; start again from the portal.'
            : 'This sign-in link is unknown or was already used; start again from the portal.',
      };
    }
    const { userId } = consumed.pending;
    const outcome = await this.signIn.redeem(userId, consumed.pending, query, now);
    if (!outcome.ok && outcome.error) {
      await this.signIn.noteFailure(userId, outcome.error, now);
    }
    return outcome;
  }

  async status(userId: string): Promise<ConnectionView> {
    await this.settings.requireUser(userId);
    const [row, note] = await Promise.all([
      this.connections.getAccount(userId),
      this.connections.getSignInNote(userId),
    ]);
    const failed = note && note.value.at > (row?.value.connectedAt ?? '') ? { signInError: note.value } : {};
    if (!row || row.value.status === 'disconnected') {
      return { status: 'disconnected', ...failed };
    }
    const a = row.value;
    return {
      status: a.status,
      accountName: a.username,
      displayName: a.displayName,
      connectedAt: a.connectedAt,
      ...(a.reason ? { reason: a.reason } : {}),
      ...failed,
    };
  }

  /**
   * A Graph access token for the user, refreshed silently when needed. Concurrent callers
   * for one user each end up with a token and a consistent cache: the one whose cache
   * write loses re-reads the winner's tokens. A refused refresh marks the connection
   * reconnect-required. `knownApp`: the user's Microsoft app, when the caller has resolved it already.
   */
  async graphAccessToken(userId: string, knownApp?: MicrosoftApp): Promise<string> {
    return (await this.graphAccess(userId, knownApp)).token;
  }

  /**
   * A Graph access token and the Microsoft account it belongs to (MSAL's home account id),
   * both from one read of the account row: a sync run keeps its cursors and links per
   * account, so it must know whose token it holds.
   */
  async graphAccess(
    userId: string,
    knownApp?: MicrosoftApp,
  ): Promise<{ token: string; homeAccountId: string }> {
    const row = await this.connections.getAccount(userId);
    if (!row || row.value.status !== 'connected') {
      throw new AppError(
        'not-connected',
        row?.value.status === 'reconnect-required'
          ? `The Microsoft account of user "${userId}" must be connected again: ${row.value.reason ?? 'sign-in expired'}.`
          : `User "${userId}" has no connected Microsoft account.`,
      );
    }
    if (row.value.claimed !== true) {
      const refused = await this.claims.adopt(userId, row, new Date());
      if (refused !== undefined) {
        await this.markReconnectRequired(userId, refused);
        throw new AppError(
          'not-connected',
          `The Microsoft account of user "${userId}" is not theirs: ${refused}`,
        );
      }
    }
    const app = knownApp ?? (await this.settings.microsoftApp(userId));
    for (let attempt = 1; ; attempt++) {
      const cache = new TableTokenCache(userId, this.connections, this.secrets);
      const client = createMsalClient(app, this.microsoft.authorityHost, cache.plugin());
      try {
        const account = await client.getTokenCache().getAccountByHomeId(row.value.homeAccountId);
        if (!account) {
          throw new InteractionRequiredAuthError('no_tokens_found', 'The stored sign-in is gone.');
        }
        const result = await client.acquireTokenSilent({ account, scopes: [...GRAPH_SCOPES] });
        return { token: result.accessToken, homeAccountId: row.value.homeAccountId };
      } catch (error) {
        if (error instanceof TokenCacheConflict && attempt < MAX_ATTEMPTS) {
          continue;
        }
        if (error instanceof InteractionRequiredAuthError) {
          const reason = describeAuthError(error);
          await this.markReconnectRequired(userId, reason);
          throw new AppError(
            'not-connected',
            `The Microsoft account of user "${userId}" must be connected again: ${reason}.`,
            {
              cause: error,
            },
          );
        }
        throw error;
      }
    }
  }

  /** Check Connection: the Microsoft account's checks, and the extra ones (Oro calendar) beside them. */
  async check(userId: string): Promise<CheckResult> {
    await this.settings.requireUser(userId);
    const [microsoft, extra] = await Promise.all([
      this.checkMicrosoft(userId),
      Promise.all(this.extraChecks.map((c) => c(userId))),
    ]);
    const checks = [...microsoft.checks, ...extra.filter((c) => c !== undefined)];
    return { ok: checks.every((c) => c.ok), checks };
  }

  /** A silent token, then profile, calendar and To Do in one $batch. */
  private async checkMicrosoft(userId: string): Promise<CheckResult> {
    let token: string;
    try {
      token = await this.graphAccessToken(userId);
    } catch (error) {
      if (!isAppErrorCode(error, 'not-connected')) {
        throw error;
      }
      return {
        ok: false,
        checks: (['profile', 'calendar', 'tasks'] as const).map((name) => ({
          name,
          ok: false,
          detail: error.message,
        })),
      };
    }
    // The calendar and list the user chose for sync, else the defaults (docs/folders.md).
    const { resolved } = await this.settings.resolveUser(userId);
    return checkGraph(
      this.microsoft.graph(userId, () => Promise.resolve(token)),
      {
        calendarId: resolved['calendar.microsoftCalendarId'].value as string | null,
        listId: resolved['tasks.microsoftListId'].value as string | null,
      },
    );
  }

  /** Removes the tokens and marks the account disconnected; the account id stays, so a reconnect re-links. */
  /** Housekeeping: sign-ins started and never finished leave nothing behind once they lapse. */
  purgeExpiredSignIns(now = new Date()): Promise<number> {
    return this.states.deleteExpired(now);
  }

  async disconnect(userId: string, now = new Date()): Promise<void> {
    await this.settings.requireUser(userId);
    for (const listener of this.listeners) {
      await listener.disconnecting(userId);
    }
    await this.connections.deleteCache(userId);
    await this.schedule?.disconnected(userId);
    const row = await this.connections.getAccount(userId);
    if (!row) {
      return;
    }
    if (row.value.status !== 'disconnected') {
      await this.updateAccount(userId, (current) =>
        current ? { ...current, status: 'disconnected', updatedAt: now.toISOString() } : undefined,
      );
    }
    // After the row says disconnected: the account is free for another user.
    await this.claims.release(userId, row.value.homeAccountId);
  }

  private async markReconnectRequired(userId: string, reason: string): Promise<void> {
    await this.updateAccount(userId, (current) =>
      current && current.status === 'connected'
        ? { ...current, status: 'reconnect-required', reason, updatedAt: new Date().toISOString() }
        : undefined,
    );
  }

  /** Read-modify-write of the account row at its ETag, retried over concurrent writers. */
  private async updateAccount(
    userId: string,
    change: (current: StoredAccount | undefined) => StoredAccount | undefined,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const row = await this.connections.getAccount(userId);
      const next = change(row?.value);
      if (!next) {
        return;
      }
      try {
        await this.connections.saveAccount(userId, next, row?.etag);
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
