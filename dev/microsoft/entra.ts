import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimAccount, SimApp } from './accounts';
import { OIDC_SCOPES, type TokenIssuer } from './entra-tokens';
import { escapeHtml, readBody, sendJson } from './respond';

/**
 * Entra ID's endpoints for a tenant: OpenID metadata, instance discovery, JWKS, a sign-in
 * page at /authorize, and /token (authorization code with PKCE, rotating refresh tokens,
 * the errors MSAL must handle).
 */

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

export interface EntraOptions {
  apps: Map<string, SimApp>;
  accounts: readonly SimAccount[];
  tokens: TokenIssuer;
  /** The simulator's own URL, once it listens. */
  base: () => string;
  issuerFor: (tenant: string) => string;
}

/** Answers a request for an Entra ID endpoint; 404 for any other path. */
export function entraEndpoints({
  apps,
  accounts,
  tokens,
  base: baseUrl,
  issuerFor,
}: EntraOptions): (req: IncomingMessage, res: ServerResponse, url: URL, key: string) => Promise<void> {
  const pending = new Map<string, PendingAuthorization>();
  const codes = new Map<string, CodeGrant>();

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL, key: string): Promise<void> {
    const base = baseUrl();
    const method = req.method ?? 'GET';
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
      return sendJson(res, 200, { keys: [tokens.jwk] });
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
      return sendJson(
        res,
        200,
        await tokens.issueTokens(app.clientId, grant.account, grant.scopes, grant.nonce),
      );
    }
    if (grantType === 'refresh_token') {
      const grant = tokens.refreshGrant(form.get('refresh_token') ?? '');
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
      return sendJson(res, 200, await tokens.issueTokens(app.clientId, grant.account, grant.scopes));
    }
    return tokenError(
      res,
      400,
      'unsupported_grant_type',
      `AADSTS70003: grant type ${grantType ?? '(none)'} is not supported.`,
    );
  }

  return handle;
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
