import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWK, type JWTPayload } from 'jose';
import { DEMO_ACCOUNTS, DEV_TENANT_ID, type SimAccount, type SimApp } from './accounts';
import { devCertificate, type Certificate } from './certificate';
import { handleGraph } from './graph';
import { escapeHtml, readBody, sendJson } from './respond';
import { SubscriptionHub } from './subscriptions';
import { CalendarStore, type CalendarChange, type SimCalendarInfo } from './calendar';
import { TodoStore } from './todo';
import { closeNow, listen } from '../ports';

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

export interface TokenOptions {
  audience: string;
  roles?: string[];
  subject?: string;
  name?: string;
  /** Lifetime in seconds; negative gives an already expired token. */
  expiresIn?: number;
  issuer?: string;
}

export const GRAPH_AUDIENCE = 'https://graph.microsoft.com';
const GRAPH_SCOPES = ['User.Read', 'Calendars.ReadWrite', 'Tasks.ReadWrite', 'MailboxSettings.Read'];
const OIDC_SCOPES = ['openid', 'profile', 'offline_access', 'email'];

interface PendingAuthorization {
  tenant: string;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  state: string | undefined;
  codeChallenge: string;
  nonce: string | undefined;
}

interface CodeGrant {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  account: SimAccount;
  codeChallenge: string;
  nonce: string | undefined;
  expiresAt: number;
}

interface RefreshGrant {
  clientId: string;
  account: SimAccount;
  scopes: string[];
  revoked: boolean;
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
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomUUID();
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256' };

  const apps = new Map((options.apps ?? []).map((a) => [a.clientId, a]));
  const accounts = [...DEMO_ACCOUNTS];
  const pending = new Map<string, PendingAuthorization>();
  const codes = new Map<string, CodeGrant>();
  const refreshTokens = new Map<string, RefreshGrant>();
  const counts: Record<string, number> = {};
  let accessTokenLifetime = 3600;
  const todos = new Map<string, TodoStore[]>();
  const mailboxZones = new Map<string, string>();
  const throttles: number[] = [];
  const faults: { status: number; code: string }[] = [];
  /** What the next Graph requests meet: answered, or never answered (hangNext). */
  const graphPlan: ('answer' | 'hang' | 'drop' | 'apply-then-drop')[] = [];
  const subscriptions = new SubscriptionHub({
    accountByOid: (oid) => accounts.find((a) => a.oid === oid),
    todoListIds: (account) => todoListsOf(account).map((l) => l.listId),
  });
  const newTodoList = (account: SimAccount, info?: TodoStore['info']) => {
    const created: TodoStore = new TodoStore(
      Date.now,
      (type, id) => subscriptions.notify(account.oid, `/me/todo/lists/${created.listId}/tasks`, type, id),
      info,
    );
    return created;
  };
  /** An account's To Do lists, the default one first. */
  const todoListsOf = (account: SimAccount): TodoStore[] => {
    let stores = todos.get(account.oid);
    if (!stores) {
      stores = [newTodoList(account)];
      todos.set(account.oid, stores);
    }
    return stores;
  };
  const todoOf = (account: SimAccount) => todoListsOf(account)[0]!;
  const addTodoList = (account: SimAccount, displayName: string) => {
    const store = newTodoList(account, { displayName, wellknownListName: 'none' });
    todoListsOf(account).push(store);
    return store;
  };
  const calendars = new Map<string, CalendarStore[]>();
  const calendarListeners: ((change: CalendarChange) => void)[] = [];
  const newCalendar = (account: SimAccount, info?: Partial<SimCalendarInfo>) => {
    const store = new CalendarStore(account, Date.now, info);
    // A `/me/events` subscription is told of "changes to all events in a user's mailbox"
    // (Graph v1.0 subscription resource type, supported resources), in any calendar.
    store.onChange((change) => {
      subscriptions.notify(change.accountOid, '/me/events', change.changeType, change.id);
      for (const listener of [...calendarListeners]) {
        listener(change);
      }
    });
    return store;
  };
  /** An account's calendars, the default one first. */
  const calendarsOf = (account: SimAccount): CalendarStore[] => {
    let stores = calendars.get(account.oid);
    if (!stores) {
      stores = [newCalendar(account)];
      calendars.set(account.oid, stores);
    }
    return stores;
  };
  const calendarOf = (account: SimAccount) => calendarsOf(account)[0]!;
  const addCalendar = (account: SimAccount, name: string) => {
    const store = newCalendar(account, {
      id: `AAMkAGI2-calendar-${randomBytes(9).toString('base64url').replace(/[-_]/g, 'x')}`,
      name,
      isDefault: false,
    });
    calendarsOf(account).push(store);
    return store;
  };
  let base = '';
  const accountNamed = (username: string): SimAccount => {
    const account = accounts.find((a) => a.username === username);
    if (!account) {
      throw new Error(`no account ${username}`);
    }
    return account;
  };

  const issuerFor = (tenant: string) => `${base}/${tenant}/v2.0`;
  const sign = (claims: JWTPayload, audience: string, issuer: string, expiresIn: number) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt(now)
      .setNotBefore(now - 5)
      .setExpirationTime(now + expiresIn)
      .sign(privateKey);
  };

  const context: SimulatorContext = {
    get base() {
      return base;
    },
    async verifyAccessToken(token) {
      try {
        const { payload } = await jwtVerify(token, publicKey, { audience: GRAPH_AUDIENCE });
        return payload;
      } catch {
        return undefined;
      }
    },
    accountByOid: (oid) => accounts.find((a) => a.oid === oid),
    todo: todoOf,
    todoLists: todoListsOf,
    addTodoList,
    calendar: calendarOf,
    calendars: calendarsOf,
    addCalendar,
    mailboxTimeZone: (account) => mailboxZones.get(account.oid) ?? account.timeZone,
    takeThrottle: () => throttles.shift(),
    takeFault: () => faults.shift(),
    subscriptions,
  };

  async function issueTokens(clientId: string, account: SimAccount, scopes: string[], nonce?: string) {
    const graphScopes = scopes.filter((s) => !OIDC_SCOPES.includes(s));
    const refreshToken = `rt.${randomBytes(24).toString('base64url')}`;
    refreshTokens.set(refreshToken, { clientId, account, scopes, revoked: false });
    const accessToken = await sign(
      {
        scp: graphScopes.join(' '),
        oid: account.oid,
        tid: account.tenantId,
        upn: account.username,
        name: account.displayName,
      },
      GRAPH_AUDIENCE,
      `https://sts.windows.net/${account.tenantId}/`,
      accessTokenLifetime,
    );
    const idToken = await sign(
      {
        sub: account.oid,
        oid: account.oid,
        tid: account.tenantId,
        preferred_username: account.username,
        name: account.displayName,
        ver: '2.0',
        ...(nonce ? { nonce } : {}),
      },
      clientId,
      issuerFor(account.tenantId),
      3600,
    );
    return {
      token_type: 'Bearer',
      scope: [
        ...graphScopes,
        ...scopes.filter((s) => s === 'openid' || s === 'profile' || s === 'email'),
      ].join(' '),
      expires_in: accessTokenLifetime,
      ext_expires_in: accessTokenLifetime,
      access_token: accessToken,
      refresh_token: refreshToken,
      id_token: idToken,
      client_info: Buffer.from(JSON.stringify({ uid: account.oid, utid: account.tenantId })).toString(
        'base64url',
      ),
    };
  }

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

    const m =
      /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|discovery\/v2\.0\/keys|oauth2\/v2\.0\/authorize|oauth2\/v2\.0\/token|discovery\/instance)$/.exec(
        url.pathname,
      );
    const tenant = m?.[1] ?? '';
    const endpoint = m?.[2];
    if (method === 'GET' && endpoint === 'v2.0/.well-known/openid-configuration') {
      return sendJson(res, 200, {
        issuer: issuerFor(tenant),
        authorization_endpoint: `${base}/${tenant}/oauth2/v2.0/authorize`,
        token_endpoint: `${base}/${tenant}/oauth2/v2.0/token`,
        jwks_uri: `${base}/${tenant}/discovery/v2.0/keys`,
        end_session_endpoint: `${base}/${tenant}/oauth2/v2.0/logout`,
        response_types_supported: ['code', 'id_token', 'code id_token'],
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        token_endpoint_auth_methods_supported: [
          'client_secret_post',
          'private_key_jwt',
          'client_secret_basic',
        ],
        code_challenge_methods_supported: ['S256'],
      });
    }
    if (method === 'GET' && endpoint === 'discovery/instance') {
      const host = new URL(base).host;
      return sendJson(res, 200, {
        tenant_discovery_endpoint: `${base}/${tenant}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
      });
    }
    if (method === 'GET' && endpoint === 'discovery/v2.0/keys') {
      return sendJson(res, 200, { keys: [jwk] });
    }
    if (method === 'GET' && endpoint === 'oauth2/v2.0/authorize') {
      return authorizePage(tenant, url.searchParams, res);
    }
    if (method === 'POST' && endpoint === 'oauth2/v2.0/authorize') {
      return authorizeDecision(new URLSearchParams((await readBody(req)).toString('utf8')), res);
    }
    if (method === 'POST' && endpoint === 'oauth2/v2.0/token') {
      return token(new URLSearchParams((await readBody(req)).toString('utf8')), res);
    }
    return sendJson(res, 404, { error: 'not_found', error_description: `No route ${key}` });
  }

  function authorizePage(tenant: string, q: URLSearchParams, res: ServerResponse): void {
    const clientId = q.get('client_id') ?? '';
    const app = apps.get(clientId);
    const redirectUri = q.get('redirect_uri') ?? '';
    if (!app) {
      return errorPage(res, `AADSTS700016: Application with identifier '${clientId}' was not found.`);
    }
    if (app.redirectUris.length > 0 && !app.redirectUris.includes(redirectUri)) {
      return errorPage(
        res,
        `AADSTS50011: The redirect URI '${redirectUri}' does not match the application's.`,
      );
    }
    if (q.get('response_type') !== 'code') {
      return errorPage(res, 'AADSTS900144: response_type must be code.');
    }
    const codeChallenge = q.get('code_challenge');
    if (!codeChallenge || q.get('code_challenge_method') !== 'S256') {
      return errorPage(res, 'AADSTS9002325: Proof Key for Code Exchange (S256) is required.');
    }
    const rid = randomBytes(12).toString('base64url');
    pending.set(rid, {
      tenant,
      clientId,
      redirectUri,
      scopes: (q.get('scope') ?? '').split(' ').filter(Boolean),
      state: q.get('state') ?? undefined,
      codeChallenge,
      nonce: q.get('nonce') ?? undefined,
    });
    const requested = (q.get('scope') ?? '').split(' ').filter((s) => s && !OIDC_SCOPES.includes(s));
    const hint = q.get('login_hint');
    const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in to your account</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;color:#1b1b1b}
h1{font-size:1.4rem}label{display:block;margin:.4rem 0}fieldset{border:1px solid #ccc;margin:1rem 0}
button{padding:.5rem 1.2rem;margin-right:.5rem}.sim{color:#767676;font-size:.8rem}</style></head><body>
<p class="sim">Local Microsoft sign-in simulator</p>
<h1>Pick an account</h1>
<form method="post" action="/${encodeURIComponent(tenant)}/oauth2/v2.0/authorize">
<input type="hidden" name="rid" value="${rid}">
<fieldset><legend>Account</legend>
${accounts
  .map(
    (a, i) =>
      `<label><input type="radio" name="account" value="${escapeHtml(a.username)}"${(hint ? a.username === hint : i === 0) ? ' checked' : ''}> ${escapeHtml(a.displayName)} &lt;${escapeHtml(a.username)}&gt;</label>`,
  )
  .join('\n')}
</fieldset>
<fieldset><legend>Permissions requested</legend>
${requested.map((s) => `<label><input type="checkbox" name="granted" value="${escapeHtml(s)}" checked> ${escapeHtml(s)}</label>`).join('\n')}
</fieldset>
<button type="submit" name="action" value="accept" id="accept">Sign in</button>
<button type="submit" name="action" value="cancel" id="cancel">Cancel</button>
</form></body></html>`;
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(html);
  }

  function authorizeDecision(form: URLSearchParams, res: ServerResponse): void {
    const request = pending.get(form.get('rid') ?? '');
    if (!request) {
      return errorPage(res, 'AADSTS90014: The sign-in request expired or was already used.');
    }
    pending.delete(form.get('rid') ?? '');
    const target = new URL(request.redirectUri);
    if (request.state !== undefined) {
      target.searchParams.set('state', request.state);
    }
    if (form.get('action') === 'cancel') {
      target.searchParams.set('error', 'access_denied');
      target.searchParams.set(
        'error_description',
        'AADSTS65004: User declined to consent to access the app.',
      );
      return redirect(res, target);
    }
    const account = accounts.find((a) => a.username === form.get('account'));
    if (!account) {
      return errorPage(res, 'AADSTS50034: The user account does not exist in the directory.');
    }
    const granted = new Set(form.getAll('granted'));
    const scopes = request.scopes.filter((s) => OIDC_SCOPES.includes(s) || granted.has(s));
    const code = `code.${randomBytes(24).toString('base64url')}`;
    codes.set(code, {
      clientId: request.clientId,
      redirectUri: request.redirectUri,
      scopes,
      account,
      codeChallenge: request.codeChallenge,
      nonce: request.nonce,
      expiresAt: Date.now() + 10 * 60_000,
    });
    target.searchParams.set('code', code);
    target.searchParams.set('session_state', randomUUID());
    return redirect(res, target);
  }

  async function token(form: URLSearchParams, res: ServerResponse): Promise<void> {
    const app = apps.get(form.get('client_id') ?? '');
    if (!app || app.clientSecret !== form.get('client_secret')) {
      return tokenError(res, 401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.');
    }
    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') {
      const code = form.get('code') ?? '';
      const grant = codes.get(code);
      codes.delete(code); // single use, even when the exchange fails
      if (!grant || grant.expiresAt < Date.now() || grant.clientId !== app.clientId) {
        return tokenError(
          res,
          400,
          'invalid_grant',
          'AADSTS70008: The provided authorization code is expired or was already redeemed.',
        );
      }
      if (grant.redirectUri !== form.get('redirect_uri')) {
        return tokenError(
          res,
          400,
          'invalid_grant',
          'AADSTS50148: The redirect_uri does not match the one used in the authorization request.',
        );
      }
      const verifier = form.get('code_verifier') ?? '';
      if (createHash('sha256').update(verifier).digest('base64url') !== grant.codeChallenge) {
        return tokenError(
          res,
          400,
          'invalid_grant',
          'AADSTS501481: The Code_Verifier does not match the code_challenge supplied in the authorization request.',
        );
      }
      return sendJson(res, 200, await issueTokens(app.clientId, grant.account, grant.scopes, grant.nonce));
    }
    if (grantType === 'refresh_token') {
      const grant = refreshTokens.get(form.get('refresh_token') ?? '');
      if (!grant || grant.clientId !== app.clientId) {
        return tokenError(
          res,
          400,
          'invalid_grant',
          'AADSTS9002313: Invalid request. Malformed or invalid refresh token.',
        );
      }
      if (grant.revoked) {
        return tokenError(
          res,
          400,
          'invalid_grant',
          'AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth token is needed.',
          'bad_token',
        );
      }
      const requested = (form.get('scope') ?? '').split(' ').filter((s) => s && !OIDC_SCOPES.includes(s));
      const missing = requested.filter((s) => !grant.scopes.includes(s));
      if (missing.length > 0) {
        return tokenError(
          res,
          400,
          'invalid_grant',
          `AADSTS65001: The user or administrator has not consented to use the application for ${missing.join(', ')}.`,
          'consent_required',
        );
      }
      // Rotation: a new refresh token each time; like Entra ID, the old one stays usable.
      return sendJson(res, 200, await issueTokens(app.clientId, grant.account, grant.scopes));
    }
    return tokenError(
      res,
      400,
      'unsupported_grant_type',
      `AADSTS70003: grant type ${grantType ?? '(none)'} is not supported.`,
    );
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
      sign(
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
      return (await issueTokens('test', account, scopes)).access_token;
    },
    revokeRefreshTokens: (username) => {
      for (const grant of refreshTokens.values()) {
        if (grant.account.username === username) {
          grant.revoked = true;
        }
      }
    },
    setAccessTokenLifetime: (seconds) => {
      accessTokenLifetime = seconds;
    },
    requestCounts: () => ({ ...counts }),
    resetCounts: () => {
      for (const k of Object.keys(counts)) {
        delete counts[k];
      }
    },
    todo: (username) => {
      const account = accounts.find((a) => a.username === username);
      if (!account) {
        throw new Error(`no account ${username}`);
      }
      return todoOf(account);
    },
    setMailboxTimeZone: (username, zone) => {
      const account = accounts.find((a) => a.username === username);
      if (!account) {
        throw new Error(`no account ${username}`);
      }
      mailboxZones.set(account.oid, zone);
    },
    calendar: (username) => calendarOf(accountNamed(username)),
    calendars: (username) => [...calendarsOf(accountNamed(username))],
    addCalendar: (username, name) => addCalendar(accountNamed(username), name),
    todoLists: (username) => [...todoListsOf(accountNamed(username))],
    addTodoList: (username, displayName) => addTodoList(accountNamed(username), displayName),
    onCalendarChange: (listener) => {
      calendarListeners.push(listener);
      return () => {
        const i = calendarListeners.indexOf(listener);
        if (i >= 0) {
          calendarListeners.splice(i, 1);
        }
      };
    },
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

function redirect(res: ServerResponse, target: URL): void {
  res.writeHead(302, { Location: target.toString(), 'Cache-Control': 'no-store' });
  res.end();
}

function errorPage(res: ServerResponse, message: string): void {
  res.writeHead(400, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in error</title></head><body><h1>Sorry, but we're having trouble signing you in.</h1><p id="error">${escapeHtml(message)}</p></body></html>`,
  );
}

/** Entra ID's token error body. */
function tokenError(
  res: ServerResponse,
  status: number,
  error: string,
  description: string,
  suberror?: string,
): void {
  sendJson(res, status, {
    error,
    error_description: `${description}\r\nTrace ID: ${randomUUID()}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: ${new Date().toISOString()}`,
    error_codes: [Number(/AADSTS(\d+)/.exec(description)?.[1] ?? 0)],
    timestamp: new Date().toISOString(),
    trace_id: randomUUID(),
    correlation_id: randomUUID(),
    ...(suberror ? { suberror } : {}),
  });
}
