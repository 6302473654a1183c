import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JWTPayload } from 'jose';
import { DEMO_ACCOUNTS, DEV_TENANT_ID, type SimAccount, type SimApp } from './accounts';
import { devCertificate, type Certificate } from './certificate';
import { entraEndpoints } from './entra';
import { createTokenIssuer, GRAPH_SCOPES, type TokenOptions } from './entra-tokens';
import { handleGraph } from './graph';
import { Mailboxes } from './mailboxes';
import { readBody, sendJson } from './respond';
import { SubscriptionHub } from './subscriptions';
import type { CalendarChange, CalendarStore } from './calendar';
import type { TodoStore } from './todo';
import { closeNow, listen } from '../ports';

export { GRAPH_AUDIENCE, type TokenOptions } from './entra-tokens';

/**
 * A local stand-in for Entra ID and Microsoft Graph over HTTPS, speaking their wire
 * formats so MSAL, the Graph client and jose run unmodified against it: OpenID metadata,
 * instance discovery, JWKS, a sign-in page at /authorize, /token (authorization code with
 * PKCE, rotating refresh tokens, the errors MSAL must handle), and the Graph endpoints the
 * product uses. Tests drive it through the methods below.
 */
export interface MicrosoftSimulator {
  url: string;
  /** PEM of the self-signed certificate; trust it to reach `url`. */
  certificate: string;
  tenantId: string;
  /** Issuer of tokens for tenant `tenantId`. */
  issuer: string;
  jwksUri: string;
  graphUrl: string;
  /** A Graph access token for a demo account, as if signed in (tests of Graph adapters). */
  graphToken(username: string, scopes?: string[]): Promise<string>;
  /** Signs an access token for one of our own APIs (the admin API). */
  issueToken(options: TokenOptions): Promise<string>;
  registerApp(app: SimApp): void;
  /** Revokes every refresh token of an account: the next silent refresh gets invalid_grant. */
  revokeRefreshTokens(username: string): void;
  /** Seconds that new Graph access tokens live (default 3600). */
  setAccessTokenLifetime(seconds: number): void;
  /** How many requests each "METHOD /path" received. */
  requestCounts(): Record<string, number>;
  resetCounts(): void;
  /** One account's Microsoft To Do (tests read and edit it directly). */
  todo(username: string): TodoStore;
  /** Sets an account's mailbox time zone (mailboxSettings.timeZone; Windows or IANA name). */
  setMailboxTimeZone(username: string, zone: string): void;
  /** One account's default calendar (tests read and edit it directly, as the user would in Outlook). */
  calendar(username: string): CalendarStore;
  /** Every calendar of an account, the default one first. */
  calendars(username: string): CalendarStore[];
  /** Adds a calendar to an account's mailbox, as the user would in Outlook ("New calendar"). */
  addCalendar(username: string, name: string): CalendarStore;
  /** Every To Do list of an account, the default one first. */
  todoLists(username: string): TodoStore[];
  /** Adds a To Do list, as the user would in the To Do app ("New list"). */
  addTodoList(username: string, displayName: string): TodoStore;
  /** Every calendar change of every account (what change notifications are made from). */
  onCalendarChange(listener: (change: CalendarChange) => void): () => void;
  /** The next `count` Graph requests (batch steps included) answer 429 with Retry-After `seconds`. */
  throttleNext(count: number, seconds?: number): void;
  /**
   * The next `count` Graph requests (batch steps included) answer `status` with Graph's
   * error body and `code` (learn.microsoft.com/graph/errors): 501 `notSupported`, 503…
   */
  failNext(status: number, code: string, count?: number): void;
  /**
   * After `after` more Graph requests (a `$batch` counts as one), the next `count` get no
   * answer at all: the socket stays open until the client gives up, and nothing changes.
   */
  hangNext(count?: number, after?: number): void;
  /**
   * After `after` more Graph requests, the next one loses its connection: before Graph
   * carried it out, or (`applied`) after, so its answer never arrives (an ambiguous outcome).
   */
  dropNext(after: number, applied: boolean): void;
  /** Forgets the throttles, failures and hangs asked for and not yet met. */
  clearFaults(): void;
  /**
   * Change-notification subscriptions: tests fire lifecycle events, inspect deliveries and
   * turn automatic notifications off; other stores call its `notify` on every change.
   */
  subscriptions: SubscriptionHub;
  accounts: readonly SimAccount[];
  close(): Promise<void>;
}

export interface SimulatorContext {
  base: string;
  verifyAccessToken(token: string): Promise<JWTPayload | undefined>;
  accountByOid(oid: string): SimAccount | undefined;
  todo(account: SimAccount): TodoStore;
  /** Every To Do list of the account, the default one first. */
  todoLists(account: SimAccount): TodoStore[];
  addTodoList(account: SimAccount, displayName: string): TodoStore;
  calendar(account: SimAccount): CalendarStore;
  /** Every calendar of the account, the default one first. */
  calendars(account: SimAccount): CalendarStore[];
  addCalendar(account: SimAccount, name: string): CalendarStore;
  mailboxTimeZone(account: SimAccount): string;
  /** Seconds of Retry-After when this request is to be throttled. */
  takeThrottle(): number | undefined;
  /** The error this request is to answer, when a test asked for one. */
  takeFault(): { status: number; code: string } | undefined;
  subscriptions: SubscriptionHub;
}

export async function startMicrosoftSimulator(
  options: { port?: number; tenantId?: string; apps?: SimApp[]; certificate?: Certificate } = {},
): Promise<MicrosoftSimulator> {
  const tenantId = options.tenantId ?? DEV_TENANT_ID;
  const certificate = options.certificate ?? (await devCertificate());
  let base = '';
  const issuerFor = (tenant: string) => `${base}/${tenant}/v2.0`;
  const tokens = await createTokenIssuer(issuerFor);

  const apps = new Map((options.apps ?? []).map((a) => [a.clientId, a]));
  const accounts = [...DEMO_ACCOUNTS];
  const counts: Record<string, number> = {};
  const throttles: number[] = [];
  const faults: { status: number; code: string }[] = [];
  /** What the next Graph requests meet: answered, or never answered (hangNext). */
  const graphPlan: ('answer' | 'hang' | 'drop' | 'apply-then-drop')[] = [];
  const subscriptions: SubscriptionHub = new SubscriptionHub({
    accountByOid: (oid) => accounts.find((a) => a.oid === oid),
    todoListIds: (account) => mailboxes.todoLists(account).map((l) => l.listId),
  });
  const mailboxes: Mailboxes = new Mailboxes(subscriptions);
  const accountNamed = (username: string): SimAccount => {
    const account = accounts.find((a) => a.username === username);
    if (!account) {
      throw new Error(`no account ${username}`);
    }
    return account;
  };

  const context: SimulatorContext = {
    get base() {
      return base;
    },
    verifyAccessToken: (token) => tokens.verifyAccessToken(token),
    accountByOid: (oid) => accounts.find((a) => a.oid === oid),
    todo: (account) => mailboxes.todo(account),
    todoLists: (account) => mailboxes.todoLists(account),
    addTodoList: (account, displayName) => mailboxes.addTodoList(account, displayName),
    calendar: (account) => mailboxes.calendar(account),
    calendars: (account) => mailboxes.calendars(account),
    addCalendar: (account, name) => mailboxes.addCalendar(account, name),
    mailboxTimeZone: (account) => mailboxes.mailboxTimeZone(account),
    takeThrottle: () => throttles.shift(),
    takeFault: () => faults.shift(),
    subscriptions,
  };
  const entra = entraEndpoints({ apps, accounts, tokens, base: () => base, issuerFor });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const method = req.method ?? 'GET';
    const key = `${method} ${url.pathname}`;
    counts[key] = (counts[key] ?? 0) + 1;

    if (url.pathname.startsWith('/v1.0/')) {
      const fate = graphPlan.shift();
      if (fate === 'hang') {
        return; // the socket stays open until the client gives up (closeNow ends it)
      }
      if (fate === 'drop') {
        res.destroy();
        return;
      }
      return handleGraph(context, req, res, url, await readBody(req), fate === 'apply-then-drop');
    }
    return entra(req, res, url, key);
  }

  const server: Server = createServer({ key: certificate.key, cert: certificate.cert }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        sendJson(res, 500, { error: 'server_error', error_description: String(error) });
      } else {
        res.destroy();
      }
    });
  });
  const port = await listen(server, options.port ?? 0);
  base = `https://localhost:${port}`;

  return {
    url: base,
    certificate: certificate.cert,
    tenantId,
    issuer: issuerFor(tenantId),
    jwksUri: `${base}/${tenantId}/discovery/v2.0/keys`,
    graphUrl: base,
    accounts,
    issueToken: (o) =>
      tokens.sign(
        {
          roles: o.roles ?? [],
          name: o.name ?? 'Dev Admin',
          tid: tenantId,
          oid: o.subject ?? 'dev-admin',
          sub: o.subject ?? 'dev-admin',
          ver: '2.0',
        },
        o.audience,
        o.issuer ?? issuerFor(tenantId),
        o.expiresIn ?? 3600,
      ),
    registerApp: (app) => apps.set(app.clientId, app),
    graphToken: async (username, scopes = GRAPH_SCOPES) => {
      const account = accounts.find((a) => a.username === username);
      if (!account) {
        throw new Error(`no account ${username}`);
      }
      return (await tokens.issueTokens('test', account, scopes)).access_token;
    },
    revokeRefreshTokens: (username) => tokens.revokeRefreshTokens(username),
    setAccessTokenLifetime: (seconds) => tokens.setAccessTokenLifetime(seconds),
    requestCounts: () => ({ ...counts }),
    resetCounts: () => {
      for (const k of Object.keys(counts)) {
        delete counts[k];
      }
    },
    todo: (username) => mailboxes.todo(accountNamed(username)),
    setMailboxTimeZone: (username, zone) => mailboxes.setMailboxTimeZone(accountNamed(username), zone),
    calendar: (username) => mailboxes.calendar(accountNamed(username)),
    calendars: (username) => [...mailboxes.calendars(accountNamed(username))],
    addCalendar: (username, name) => mailboxes.addCalendar(accountNamed(username), name),
    todoLists: (username) => [...mailboxes.todoLists(accountNamed(username))],
    addTodoList: (username, displayName) => mailboxes.addTodoList(accountNamed(username), displayName),
    onCalendarChange: (listener) => mailboxes.onCalendarChange(listener),
    throttleNext: (count, seconds = 0.01) => {
      for (let i = 0; i < count; i++) {
        throttles.push(seconds);
      }
    },
    clearFaults: () => {
      throttles.length = 0;
      faults.length = 0;
      graphPlan.length = 0;
    },
    dropNext: (after, applied) => {
      graphPlan.push(...Array<'answer'>(after).fill('answer'), applied ? 'apply-then-drop' : 'drop');
    },
    hangNext: (count = 1, after = 0) => {
      graphPlan.push(...Array<'answer'>(after).fill('answer'), ...Array<'hang'>(count).fill('hang'));
    },
    failNext: (status, code, count = 1) => {
      for (let i = 0; i < count; i++) {
        faults.push({ status, code });
      }
    },
    subscriptions,
    close: () => closeNow(server),
  };
}
