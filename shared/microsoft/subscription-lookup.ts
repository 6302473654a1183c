import type { SubscriptionRepository, VersionedSubscription } from '../storage/subscription-repository';

/**
 * The webhook is public, so what one request may cost is bounded here: at most
 * MAX_READS_PER_REQUEST storage reads, however many distinct subscription ids a body
 * names (up to 1,000). Graph batches the notifications of a few subscriptions at most;
 * a body naming hundreds of ids we do not know is forged, and the ids past the limit
 * are not looked up (counted as `overLimit`; a genuine change among them would still be
 * synced by polling at the user's interval).
 *
 * Known subscriptions are remembered for KNOWN_TTL_MS, so the genuine traffic of a busy
 * user costs no read at all; ids found unknown for UNKNOWN_TTL_MS (short: a subscription
 * created a moment ago may notify before its row is written), in a bounded map.
 *
 * Why not answer first and check afterwards: on the Consumption plan the Functions host
 * may freeze the instance once the response is sent, so work after it is not reliable.
 * Checking within the request stays cheap enough with these bounds.
 */
export const MAX_READS_PER_REQUEST = 8;
const KNOWN_TTL_MS = 60_000;
const UNKNOWN_TTL_MS = 15_000;
const MAX_REMEMBERED = 10_000;

export interface Lookup {
  found: Map<string, VersionedSubscription>;
  /** Ids not looked up: the request had used its reads. */
  overLimit: Set<string>;
}

export class SubscriptionLookup {
  private readonly known = new Map<string, { sub: VersionedSubscription; until: number }>();
  private readonly unknown = new Map<string, number>();

  constructor(
    private readonly repository: SubscriptionRepository,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The subscriptions of these (distinct) ids. `fresh` reads storage for every id (the
   * lifecycle events write the row and need its current ETag); the read limit holds either way.
   */
  async find(ids: readonly string[], options: { fresh?: boolean } = {}): Promise<Lookup> {
    const now = this.now();
    const found = new Map<string, VersionedSubscription>();
    const toRead: string[] = [];
    const overLimit = new Set<string>();
    for (const id of new Set(ids)) {
      const known = options.fresh ? undefined : this.known.get(id);
      if (known && known.until > now) {
        found.set(id, known.sub);
      } else if ((this.unknown.get(id) ?? 0) > now) {
        continue;
      } else if (toRead.length < MAX_READS_PER_REQUEST) {
        toRead.push(id);
      } else {
        overLimit.add(id);
      }
    }
    const read = await Promise.all(toRead.map(async (id) => [id, await this.repository.get(id)] as const));
    for (const [id, sub] of read) {
      if (sub) {
        found.set(id, sub);
        this.remember(this.known, id, { sub, until: now + KNOWN_TTL_MS });
      } else {
        this.known.delete(id);
        this.remember(this.unknown, id, now + UNKNOWN_TTL_MS);
      }
    }
    return { found, overLimit };
  }

  /** A remembered subscription whose clientState did not match is read again next time. */
  forget(id: string): void {
    this.known.delete(id);
  }

  private remember<V>(map: Map<string, V>, id: string, value: V): void {
    map.delete(id); // re-inserted last: the map's order is the order of eviction
    map.set(id, value);
    if (map.size > MAX_REMEMBERED) {
      const oldest = map.keys().next();
      if (!oldest.done) {
        map.delete(oldest.value);
      }
    }
  }
}
