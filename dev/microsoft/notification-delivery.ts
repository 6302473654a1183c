import { randomUUID } from 'node:crypto';

/** One POST the simulator made to a subscriber, for tests to inspect. */
export interface Delivery {
  kind: 'validation' | 'change' | 'lifecycle';
  url: string;
  body?: unknown;
  /** HTTP status, or 0 when the endpoint did not answer. */
  status: number;
  elapsedMs: number;
}

const HANDSHAKE_TIMEOUT_MS = 10_000;
const DELIVERY_TIMEOUT_MS = 15_000;

/**
 * What Graph POSTs to a subscriber: the validation handshake of a new endpoint, change
 * notifications (changes made in one tick reach an endpoint as one POST, as Graph batches
 * them) and lifecycle notifications; every POST is logged for tests.
 */
export class NotificationDelivery {
  private readonly log: Delivery[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly outbox = new Map<string, { url: string; values: unknown[] }>();
  private flushScheduled = false;

  constructor(private readonly now: () => number) {}

  /** Graph's validation request: the endpoint must echo the token as text/plain with 200. */
  async handshake(url: string): Promise<boolean> {
    const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`;
    const target = new URL(url);
    target.searchParams.set('validationToken', token);
    const started = this.now();
    let status = 0;
    let ok: boolean;
    try {
      const res = await fetch(target, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain; charset=utf-8' },
        signal: AbortSignal.timeout(HANDSHAKE_TIMEOUT_MS),
      });
      status = res.status;
      const text = await res.text();
      ok = status === 200 && /^text\/plain/i.test(res.headers.get('content-type') ?? '') && text === token;
    } catch {
      ok = false;
    }
    this.log.push({ kind: 'validation', url, status, elapsedMs: this.now() - started });
    return ok;
  }

  /** What was POSTed to subscribers so far. */
  deliveries(): Delivery[] {
    return [...this.log];
  }

  /** Resolves when every notification queued so far has been delivered. */
  async idle(): Promise<void> {
    while (this.flushScheduled || this.inFlight.size > 0) {
      await new Promise((r) => setTimeout(r, 5));
      await Promise.allSettled([...this.inFlight]);
    }
  }

  /** Queues one change notification for an endpoint; the tick's batch goes out as one POST. */
  enqueue(url: string, value: unknown): void {
    const batch = this.outbox.get(url) ?? { url, values: [] };
    batch.values.push(value);
    this.outbox.set(url, batch);
    if (this.flushScheduled) {
      return;
    }
    this.flushScheduled = true;
    setTimeout(() => {
      this.flushScheduled = false;
      const batches = [...this.outbox.values()];
      this.outbox.clear();
      for (const b of batches) {
        void this.post(b.url, 'change', { value: b.values });
      }
    }, 0);
  }

  post(url: string, kind: Delivery['kind'], body: unknown): Promise<Delivery> {
    const started = this.now();
    const sent = (async (): Promise<Delivery> => {
      let status = 0;
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
        });
        status = res.status;
        await res.arrayBuffer();
      } catch {
        // no answer: status stays 0
      }
      const delivery: Delivery = { kind, url, body, status, elapsedMs: this.now() - started };
      this.log.push(delivery);
      return delivery;
    })();
    this.inFlight.add(sent);
    void sent.finally(() => this.inFlight.delete(sent));
    return sent;
  }
}
