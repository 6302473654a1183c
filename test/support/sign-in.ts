import type { Stack } from '../../dev/stack';
import type { ApiResponse } from './stack';

export interface SignInOptions {
  account?: string;
  cancel?: boolean;
  /** Scopes the user consents to on the simulator page (default: all requested). */
  granted?: string[];
}

export interface CallbackPage {
  status: number;
  headers: Headers;
  html: string;
  message: { type: string; ok: boolean; userId?: string; accountName?: string; error?: string };
  origin: string;
}

type Api = (method: string, path: string, init?: { body?: unknown }) => Promise<ApiResponse>;

/** Does in HTTP what the popup's user does: open the sign-in page, pick an account, submit. Returns the callback URL. */
export async function signInAtSimulator(authorizeUrl: string, options: SignInOptions = {}): Promise<string> {
  const page = await fetch(authorizeUrl);
  const html = await page.text();
  if (page.status !== 200) {
    throw new Error(`sign-in page answered ${page.status}: ${html}`);
  }
  const rid = /name="rid" value="([^"]+)"/.exec(html)?.[1];
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  if (!rid || !action) {
    throw new Error(`no sign-in form in:\n${html}`);
  }
  const requested = [...html.matchAll(/name="granted" value="([^"]+)"/g)].map((m) => m[1] ?? '');
  const form = new URLSearchParams({ rid, action: options.cancel ? 'cancel' : 'accept' });
  form.set('account', options.account ?? 'megan.bowen@contoso.example');
  for (const scope of options.granted ?? requested) {
    form.append('granted', scope);
  }
  const decision = await fetch(new URL(action, authorizeUrl), {
    method: 'POST',
    body: form,
    redirect: 'manual',
  });
  const location = decision.headers.get('location');
  if (decision.status !== 302 || !location) {
    throw new Error(`sign-in answered ${decision.status}: ${await decision.text()}`);
  }
  return location;
}

export async function openCallback(url: string): Promise<CallbackPage> {
  const res = await fetch(url, { redirect: 'manual' });
  const html = await res.text();
  const data = /var data = (\{.*\});/.exec(html)?.[1];
  if (!data) {
    throw new Error(`no result in callback page:\n${html}`);
  }
  const parsed = JSON.parse(data) as { message: CallbackPage['message']; origin: string };
  return { status: res.status, headers: res.headers, html, ...parsed };
}

/** The whole popup flow for one user, through the API, the simulator and the callback. */
export async function connect(api: Api, userId: string, options: SignInOptions = {}): Promise<CallbackPage> {
  const started = await api('POST', `/api/users/${userId}/connection/authorize`);
  if (started.status !== 200) {
    throw new Error(`authorize answered ${started.status}: ${started.text}`);
  }
  const { authorizeUrl } = started.body as { authorizeUrl: string };
  return openCallback(await signInAtSimulator(authorizeUrl, options));
}

export type { Stack };
