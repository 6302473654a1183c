import { randomUUID } from 'node:crypto';
import { EXPIRED_TOKEN_410, expiredToken, graphError, type ExpiredTokenAnswer } from './respond';
import type { GraphAnswer } from './todo';
import type { Instance, SimCalendarInfo, SimEvent } from './calendar-model';
import { expand } from './calendar-recurrence';
import { renderInstance } from './calendar-render';

interface DeltaState {
  epoch: number;
  windowStart: number;
  windowEnd: number;
  /** Instance id → version at the end of the round. */
  seen: Map<string, string>;
}

interface Round {
  epoch: number;
  items: Record<string, unknown>[];
  deltaToken: string;
}

/** Delta tokens and page rounds kept; older ones answer 410 as an expired sync state. */
const KEPT_TOKENS = 200;
const DEFAULT_PAGE = 10;

/** A calendar's calendarView/delta: the tokens it gave, their rounds and their pages. */
export class CalendarDelta {
  private readonly tokens = new Map<string, DeltaState>();
  private readonly rounds = new Map<string, Round>();
  /** Delta tokens from an older epoch are gone (410), as after Exchange drops a sync state. */
  private epoch = 1;
  private expired = EXPIRED_TOKEN_410;

  /** Every delta token given so far is lost; their next use gets `answer` (410 by default). */
  expire(answer: ExpiredTokenAnswer = EXPIRED_TOKEN_410): void {
    this.expired = answer;
    this.epoch++;
  }

  /**
   * calendarView/delta: the first round lists every instance in the window; a deltaLink
   * round lists instances added or changed since, and `@removed` for those gone from the
   * window (deleted, cancelled, or moved out of it).
   */
  answer(
    url: URL,
    zone: string,
    prefer: string,
    base: string,
    calendar: SimCalendarInfo,
    events: Iterable<SimEvent>,
  ): GraphAnswer {
    const gone = () => expiredToken(this.expired);
    const pageSize = Math.max(1, Number(/odata\.maxpagesize=(\d+)/.exec(prefer)?.[1] ?? DEFAULT_PAGE));
    // A calendar's own view is tracked at its own path (learn.microsoft.com/graph/delta-query-events:
    // "specific to a calendar"); the default calendar's at /me/calendarView/delta.
    const path = calendar.isDefault
      ? `${base}/v1.0/me/calendarView/delta`
      : `${base}/v1.0/me/calendars/${encodeURIComponent(calendar.id)}/calendarView/delta`;
    const skip = url.searchParams.get('$skiptoken');
    if (skip) {
      const [roundId, offsetText] = skip.split('~');
      const round = this.rounds.get(roundId ?? '');
      if (!round || round.epoch !== this.epoch) {
        return gone();
      }
      return this.page(round, roundId!, Number(offsetText ?? 0), pageSize, path);
    }
    const deltaToken = url.searchParams.get('$deltatoken');
    let previous: DeltaState | undefined;
    let windowStart: number;
    let windowEnd: number;
    if (deltaToken) {
      previous = this.tokens.get(deltaToken);
      if (!previous || previous.epoch !== this.epoch) {
        return gone();
      }
      windowStart = previous.windowStart;
      windowEnd = previous.windowEnd;
    } else {
      windowStart = Date.parse(url.searchParams.get('startDateTime') ?? '');
      windowEnd = Date.parse(url.searchParams.get('endDateTime') ?? '');
      if (!Number.isFinite(windowStart) || !Number.isFinite(windowEnd) || windowEnd <= windowStart) {
        return graphError(
          400,
          'ErrorInvalidParameter',
          'This request requires a startDateTime and an endDateTime.',
        );
      }
    }
    const now = new Map<string, Instance>();
    for (const e of events) {
      for (const i of expand(e, windowStart, windowEnd)) {
        now.set(i.id, i);
      }
    }
    const items: Record<string, unknown>[] = [];
    for (const [id, i] of now) {
      if (previous?.seen.get(id) !== i.version) {
        // Delta items name their type (learn.microsoft.com/graph/delta-query-events).
        items.push({ '@odata.type': '#microsoft.graph.event', ...renderInstance(i, zone, {}) });
      }
    }
    if (previous) {
      for (const id of previous.seen.keys()) {
        if (!now.has(id)) {
          items.push({ '@odata.type': '#microsoft.graph.event', id, '@removed': { reason: 'deleted' } });
        }
      }
    }
    const token = randomUUID();
    forgetOldest(this.tokens);
    forgetOldest(this.rounds);
    this.tokens.set(token, {
      epoch: this.epoch,
      windowStart,
      windowEnd,
      seen: new Map([...now].map(([id, i]) => [id, i.version])),
    });
    const roundId = randomUUID();
    const round = { epoch: this.epoch, items, deltaToken: token };
    this.rounds.set(roundId, round);
    return this.page(round, roundId, 0, pageSize, path);
  }

  private page(round: Round, roundId: string, offset: number, size: number, path: string): GraphAnswer {
    const more = offset + size < round.items.length;
    return {
      status: 200,
      body: {
        '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#Collection(event)',
        ...(more
          ? { '@odata.nextLink': `${path}?$skiptoken=${roundId}~${offset + size}` }
          : { '@odata.deltaLink': `${path}?$deltatoken=${round.deltaToken}` }),
        value: round.items.slice(offset, offset + size),
      },
    };
  }
}

function forgetOldest<K, V>(map: Map<K, V>): void {
  while (map.size >= KEPT_TOKENS) {
    map.delete(map.keys().next().value as K);
  }
}
