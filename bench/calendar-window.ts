import { trustInThisProcess } from '../dev/microsoft/certificate';
import { startMicrosoftSimulator, type MicrosoftSimulator } from '../dev/microsoft/simulator';
import { GraphCalendarSide } from '../shared/microsoft/calendar-side';
import { createGraphClient } from '../shared/microsoft/graph-client';
import { WINDOW_STEP_DAYS } from '../shared/sync/calendar/window';
import { writeSection } from './sections';

/**
 * The cost of an idle calendar over many days: one user, BENCH_IDLE_EVENTS items (500, a
 * tenth of them weekly series) and no change at all, read by the Graph calendar side once
 * an hour for BENCH_IDLE_DAYS (60) simulated days. The read window is the default (30 days
 * back, 365 ahead); Graph's delta token encodes it, so each move of the window is a new
 * delta round, a full read of the window. Old: the window moved with the day; new: it moves
 * in WINDOW_STEP_DAYS steps with a margin. Both on the same data, in the same run.
 */
const EVENTS = Number(process.env.BENCH_IDLE_EVENTS ?? 500);
const DAYS = Number(process.env.BENCH_IDLE_DAYS ?? 60);
const RUNS_PER_DAY = 24;
const USER = 'megan.bowen@contoso.example';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface IdleRow {
  mode: string;
  rounds: number;
  requests: number;
}

function seed(sim: MicrosoftSimulator, from: number) {
  const cal = sim.calendar(USER);
  const at = (ms: number) => ({ dateTime: new Date(ms).toISOString().slice(0, 19), timeZone: 'UTC' });
  for (let i = 0; i < EVENTS; i++) {
    // Spread from 20 days back to 300 ahead, so items leave and enter the window as days pass.
    const start = from + (-20 + (i % 320)) * DAY + (8 + (i % 9)) * HOUR;
    const series = i % 10 === 0;
    const created = cal.create({
      subject: `${series ? 'Series' : 'Event'} ${i}`,
      start: at(start),
      end: at(start + HOUR),
      ...(series
        ? {
            recurrence: {
              pattern: {
                type: 'weekly',
                interval: 1,
                daysOfWeek: [
                  new Date(start).toLocaleDateString('en-US', { weekday: 'long', timeZone: 'UTC' }),
                ],
              },
              range: {
                type: 'numbered',
                startDate: new Date(start).toISOString().slice(0, 10),
                numberOfOccurrences: 20,
              },
            },
          }
        : {}),
    });
    if ('error' in created) {
      throw new Error(created.error);
    }
  }
}

/** `stepDays` 1: the old daily window. Graph requests as the simulator counted them. */
async function idleDays(sim: MicrosoftSimulator, start: number, stepDays: number): Promise<IdleRow> {
  let now = start;
  const side = new GraphCalendarSide(
    createGraphClient(sim.graphUrl, () => sim.graphToken(USER)),
    { now: () => new Date(now), windowStepDays: stepDays },
  );
  // The first sync: every item is linked afterwards (idle from here on).
  const first = await side.read(undefined, new Set());
  const linked = new Set(first.changes.flatMap((c) => (c.type === 'upsert' ? [c.item.id] : [])));
  let cursor = first.cursor;
  let rounds = 0;
  sim.resetCounts();
  for (let run = 0; run < DAYS * RUNS_PER_DAY; run++) {
    now += HOUR;
    const read = await side.read(cursor, linked);
    if (read.changes.some((c) => c.type === 'delete')) {
      throw new Error('an idle calendar reported a deletion');
    }
    rounds += read.full ? 1 : 0;
    cursor = read.cursor;
  }
  const requests = Object.values(sim.requestCounts()).reduce((a, b) => a + b, 0);
  return {
    mode: stepDays === 1 ? 'old: window moves daily' : `new: window moves in ${stepDays}-day steps`,
    rounds,
    requests,
  };
}

export async function calendarWindowRows(): Promise<IdleRow[]> {
  const rows: IdleRow[] = [];
  const start = Date.parse('2026-01-01T00:30:00Z');
  for (const step of [1, WINDOW_STEP_DAYS]) {
    const sim = await startMicrosoftSimulator();
    trustInThisProcess(sim.certificate);
    try {
      seed(sim, start);
      const row = await idleDays(sim, start, step);
      console.log('idle calendar', row);
      rows.push(row);
    } finally {
      await sim.close();
    }
  }
  return rows;
}

/** `BENCH=calendar-window npm run bench` (and part of BENCH=calendar): its section of BENCHMARKS.md. */
export async function runCalendarWindowBench(): Promise<void> {
  const rows = await calendarWindowRows();
  const perDay = (r: IdleRow) => Math.round((r.requests / DAYS) * 10) / 10;
  const perRun = (r: IdleRow) => Math.round((r.requests / (DAYS * RUNS_PER_DAY)) * 100) / 100;
  // What the window costs: the requests beyond the one delta request every idle run makes.
  const beyond = (r: IdleRow) => Math.round(((r.requests - DAYS * RUNS_PER_DAY) / DAYS) * 10) / 10;
  writeSection(
    'calendar-window',
    `## Idle calendar: Graph requests per user per day

One user's Microsoft 365 calendar with ${EVENTS} items (a tenth of them weekly series), no
change at all, read by the calendar side ${RUNS_PER_DAY} times a day for ${DAYS} simulated
days; measured on ${new Date().toISOString().slice(0, 10)} against the Graph simulator. The
window is the default (30 days back, 365 ahead). Graph's calendar delta token encodes its
window, so a moved window is a new delta round: a full read of the window.

| window | full rounds in ${DAYS} days | Graph requests in ${DAYS} days | per day | per run | per day beyond one per run |
|---|---:|---:|---:|---:|---:|
${rows.map((r) => `| ${r.mode} | ${r.rounds} | ${r.requests} | ${perDay(r)} | ${perRun(r)} | ${beyond(r)} |`).join('\n')}

An idle run costs one request (the delta round that finds nothing); what is left is the full
rounds, once a day before, once every ${WINDOW_STEP_DAYS} days now. \`BENCH=calendar-window npm run bench\`
rewrites this section alone.`,
  );
}
