import { randomBytes } from 'node:crypto';
import type { CallbackOutcome } from './connection-service';

export interface Page {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The page the sign-in popup lands on: it posts the outcome to the portal window that
 * opened it (and to no other origin), then closes. Nothing secret is in it: no code, no
 * token. A strict CSP allows only this page's own inline script and style, by nonce.
 */
export function renderCallbackPage(outcome: CallbackOutcome, portalOrigin: string): Page {
  const nonce = randomBytes(16).toString('base64');
  const message = {
    type: 'microsoft-connection',
    ok: outcome.ok,
    ...(outcome.userId === undefined ? {} : { userId: outcome.userId }),
    ...(outcome.accountName === undefined ? {} : { accountName: outcome.accountName }),
    ...(outcome.error === undefined ? {} : { error: outcome.error }),
  };
  // JSON inside <script>: escape "<" so no string can close the element.
  const data = JSON.stringify({ message, origin: portalOrigin }).replace(/</g, '\\u003c');
  const text = outcome.ok
    ? `Connected ${outcome.accountName ?? ''}. You can close this window.`
    : `Not connected: ${outcome.error ?? 'unknown error'}`;
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Microsoft 365 connection</title>
<style nonce="${nonce}">body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1b1b}.error{color:#a4262c}</style>
</head><body>
<p id="result" class="${outcome.ok ? 'ok' : 'error'}">${escapeHtml(text)}</p>
<script nonce="${nonce}">
(function () {
  var data = ${data};
  if (window.opener) {
    window.opener.postMessage(data.message, data.origin);
    window.close();
  }
})();
</script>
</body></html>`;
  return {
    status: outcome.ok ? 200 : 400,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
      'Cache-Control': 'no-store',
      // The URL carries the authorization code: never send it on.
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
    },
    body,
  };
}
