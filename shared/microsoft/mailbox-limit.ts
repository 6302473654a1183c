import {
  Client,
  MiddlewareFactory,
  type Context,
  type Middleware,
  type MiddlewareOptions,
} from '@microsoft/microsoft-graph-client';
import { MAILBOX_CONCURRENCY, type BudgetHolder } from '../budget/shared-budget';

/**
 * Outlook's limit of four concurrent requests per app and mailbox
 * (learn.microsoft.com/graph/throttling-limits#outlook-service-limits), counted honestly:
 * a plain request takes one permit; a `$batch` of n unordered steps takes min(n, 4),
 * because Graph hands Outlook up to four of its steps at a time ("Outlook service limits
 * for JSON batching"), and one whose steps form a single `dependsOn` chain takes one.
 * The permits come from the user's shared mailbox budget, so calendar and To Do runs of
 * one user on different instances stay within four together.
 */

/** Marks a `$batch` whose permits the caller already took (batchWithRetry sizes it to them). */
class PermitsHeld implements MiddlewareOptions {}
export const PERMITS_HELD = new PermitsHeld();

/** The budget of each limited client, for batchWithRetry. */
const budgets = new WeakMap<Client, BudgetHolder>();

/** Permits a request needs, from its URL and body. */
export function mailboxPermits(url: string, body: unknown): number {
  if (!new URL(url, 'https://graph.invalid').pathname.endsWith('/$batch')) {
    return 1;
  }
  const steps = parseSteps(body);
  if (steps.length === 0) {
    return 1;
  }
  const chained = steps.every((s, k) => k === 0 || (s.dependsOn?.length ?? 0) > 0);
  return chained ? 1 : Math.min(MAILBOX_CONCURRENCY, steps.length);
}

function parseSteps(body: unknown): { dependsOn?: unknown[] }[] {
  try {
    const doc = (typeof body === 'string' ? JSON.parse(body) : body) as { requests?: unknown };
    return Array.isArray(doc?.requests) ? (doc.requests as { dependsOn?: unknown[] }[]) : [];
  } catch {
    return [];
  }
}

/** Sits right before the HTTP handler: each attempt (retries included) waits for its permits. */
class MailboxLimit implements Middleware {
  private next: Middleware | undefined;

  constructor(private readonly mailbox: BudgetHolder) {}

  async execute(context: Context): Promise<void> {
    const next = this.next!;
    if (context.middlewareControl?.getMiddlewareOptions(PermitsHeld)) {
      return next.execute(context);
    }
    // RequestInfo: a URL string, or a Request (its type is the DOM's, absent from this build).
    const request = context.request as unknown as string | { url: string };
    const url = typeof request === 'string' ? request : request.url;
    await this.mailbox.run(() => next.execute(context), mailboxPermits(url, context.options?.body));
  }

  setNext(next: Middleware): void {
    this.next = next;
  }
}

/**
 * The SDK's default chain (auth, retry, redirect, telemetry, HTTP) with the mailbox limit
 * before HTTP; `finish` adds what must sit closer to the wire (the request spans, which
 * then time the request, not its wait for a permit).
 */
export function mailboxClient(
  baseUrl: string,
  getAccessToken: () => Promise<string>,
  mailbox: BudgetHolder,
  hosts: { customHosts?: Set<string> },
  finish: (chain: Middleware[]) => Middleware[] = (chain) => chain,
): Client {
  const chain = MiddlewareFactory.getDefaultMiddlewareChain({ getAccessToken });
  chain.splice(chain.length - 1, 0, new MailboxLimit(mailbox));
  const client = Client.initWithMiddleware({ baseUrl, middleware: finish(chain), ...hosts });
  budgets.set(client, mailbox);
  return client;
}

/**
 * Permits for the next `$batch` of batchWithRetry: four or more give a full batch, fewer
 * (another run of the mailbox holds the rest) a batch of that many steps.
 */
export async function mailboxTurn(
  client: Client,
  pending: number,
): Promise<{ steps: number; held: boolean; release: () => void }> {
  const mailbox = budgets.get(client);
  if (!mailbox) {
    return { steps: pending, held: false, release: () => undefined };
  }
  const granted = await mailbox.acquire(Math.min(MAILBOX_CONCURRENCY, pending), 1);
  return {
    steps: granted >= MAILBOX_CONCURRENCY ? pending : granted,
    held: true,
    release: () => mailbox.release(granted),
  };
}
