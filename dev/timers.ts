import { randomUUID } from 'node:crypto';
import { InvocationContext, type Timer } from '@azure/functions';
import type { TimerFunctionDefinition } from '../functions/timer';

/** Allowed values per field of "{second} {minute} {hour} {day} {month} {day-of-week}". */
const FIELDS = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day-of-week', min: 0, max: 6 },
] as const;

export interface CronSchedule {
  /** The first occurrence strictly after `after` (UTC, as the Azure host without WEBSITE_TIME_ZONE). */
  next(after: Date): Date;
}

/**
 * The part of NCRONTAB the function table uses: six fields with `*`, numbers, ranges
 * `a-b`, lists `a,b` and steps `*\/n` / `a-b/n`. Anything else is refused with the
 * field named, so a typo fails at start-up rather than never firing.
 */
export function parseNcrontab(expression: string): CronSchedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 6) {
    throw new Error(`NCRONTAB "${expression}" needs 6 fields (second minute hour day month day-of-week)`);
  }
  const sets = FIELDS.map((field, i) => parseField(parts[i]!, field, expression));
  const [seconds, minutes, hours, days, months, weekdays] = sets as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  return {
    next(after) {
      const t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
      // Each miss jumps to the start of the next unit, so this ends within a few thousand steps.
      for (let guard = 0; guard < 100_000; guard++) {
        if (!months.has(t.getUTCMonth() + 1)) {
          t.setUTCMonth(t.getUTCMonth() + 1, 1);
          t.setUTCHours(0, 0, 0, 0);
        } else if (!days.has(t.getUTCDate()) || !weekdays.has(t.getUTCDay())) {
          t.setUTCDate(t.getUTCDate() + 1);
          t.setUTCHours(0, 0, 0, 0);
        } else if (!hours.has(t.getUTCHours())) {
          t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
        } else if (!minutes.has(t.getUTCMinutes())) {
          t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
        } else if (!seconds.has(t.getUTCSeconds())) {
          t.setUTCSeconds(t.getUTCSeconds() + 1, 0);
        } else {
          return t;
        }
      }
      throw new Error(`NCRONTAB "${expression}" never fires`);
    },
  };
}

function parseField(text: string, field: (typeof FIELDS)[number], expression: string): Set<number> {
  const values = new Set<number>();
  const bad = () =>
    new Error(
      `NCRONTAB "${expression}": ${field.name} field "${text}" is not supported (${field.min}-${field.max})`,
    );
  for (const item of text.split(',')) {
    const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
    if (!match) {
      throw bad();
    }
    const [, range, a, b, stepText] = match;
    const from = range === '*' ? field.min : Number(a);
    const to = range === '*' ? field.max : b !== undefined ? Number(b) : stepText ? field.max : from;
    const step = stepText ? Number(stepText) : 1;
    if (from < field.min || to > field.max || from > to || step < 1) {
      throw bad();
    }
    for (let v = from; v <= to; v += step) {
      values.add(v);
    }
  }
  return values;
}

export interface DevTimers {
  /** Runs a timer function now, as the host would at its occurrence; resolves when it finished. */
  fire(name: string, now?: Date): Promise<void>;
  close(): Promise<void>;
}

/**
 * Fires each timer function of the function table on its schedule, with an
 * InvocationContext and a Timer object shaped like the Azure host's. One invocation per
 * function at a time: an occurrence that comes while the previous one still runs is
 * skipped, as the host's singleton lock does.
 */
export function startDevTimers(
  functions: readonly TimerFunctionDefinition[],
  options: { log?: (line: string) => void; clock?: () => Date; autoStart?: boolean } = {},
): DevTimers {
  const log = options.log ?? ((line: string) => console.log(line));
  const clock = options.clock ?? (() => new Date());
  const entries = functions.map((fn) => ({
    fn,
    schedule: parseNcrontab(fn.schedule),
    last: undefined as Date | undefined,
    running: undefined as Promise<void> | undefined,
    handle: undefined as NodeJS.Timeout | undefined,
  }));
  let closed = false;

  const invoke = async (entry: (typeof entries)[number], at: Date, isPastDue: boolean): Promise<void> => {
    if (entry.running) {
      return entry.running;
    }
    const next = entry.schedule.next(at);
    const timer: Timer = {
      isPastDue,
      schedule: { adjustForDST: false },
      scheduleStatus: {
        last: (entry.last ?? at).toISOString(),
        next: next.toISOString(),
        lastUpdated: at.toISOString(),
      },
    };
    entry.last = at;
    const context = new InvocationContext({
      invocationId: randomUUID(),
      functionName: entry.fn.name,
      logHandler: (level, ...args) => log(`[${level}] ${entry.fn.name}: ${args.map(String).join(' ')}`),
    });
    entry.running = entry.fn.handler(timer, context).catch((error: unknown) => {
      // The host logs a failed occurrence and keeps the schedule; so does this.
      log(`[error] ${entry.fn.name}: ${error instanceof Error ? error.message : String(error)}`);
    });
    try {
      await entry.running;
    } finally {
      entry.running = undefined;
    }
  };

  const arm = (entry: (typeof entries)[number]) => {
    if (closed) {
      return;
    }
    const now = clock();
    const at = entry.schedule.next(now);
    entry.handle = setTimeout(
      () => {
        const late = clock().getTime() - at.getTime() > 1000;
        void invoke(entry, at, late).finally(() => arm(entry));
      },
      Math.max(0, at.getTime() - now.getTime()),
    );
    entry.handle.unref();
  };
  if (options.autoStart !== false) {
    entries.forEach(arm);
  }

  return {
    async fire(name, now = clock()) {
      const entry = entries.find((e) => e.fn.name === name);
      if (!entry) {
        throw new Error(`No timer function "${name}"`);
      }
      await invoke(entry, now, false);
    },
    async close() {
      closed = true;
      for (const e of entries) {
        clearTimeout(e.handle);
      }
      await Promise.all(entries.flatMap((e) => (e.running ? [e.running] : [])));
    },
  };
}
