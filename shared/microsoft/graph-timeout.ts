import type { Context, Middleware } from '@microsoft/microsoft-graph-client';

/** How long one Graph request may go unanswered (the Oro client's default too). */
export const GRAPH_TIMEOUT_MS = 30_000;

/** A Graph request given up for want of an answer: classified as no answer (retryable). */
export class GraphTimeoutError extends Error {
  override readonly name = 'GraphTimeout';
}

/**
 * Gives each attempt its own deadline (the SDK's retries included), placed just before the
 * SDK's HTTP handler. The SDK sets none, and a request Graph never answers would hold the
 * run, and with it the user's lease (a live run renews it), until the host's own function
 * timeout. The SDK turns the error into a GraphError without a status, which
 * shared/errors/classify.ts takes as no answer: retryable.
 */
export class GraphTimeout implements Middleware {
  private next: Middleware | undefined;

  constructor(private readonly ms: number) {}

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    const next = this.next;
    if (!next) {
      throw new Error('GraphTimeout must not be the last middleware');
    }
    const signal = AbortSignal.timeout(this.ms);
    context.options = { ...context.options, signal };
    try {
      await next.execute(context);
    } catch (error) {
      if (signal.aborted) {
        throw new GraphTimeoutError(`no answer within ${this.ms} ms`, { cause: error });
      }
      throw error;
    }
  }
}

/** The chain with the deadline right before its last handler (the one that fetches). */
export function withTimeout(chain: Middleware[], ms: number): Middleware[] {
  return [...chain.slice(0, -1), new GraphTimeout(ms), ...chain.slice(-1)];
}
