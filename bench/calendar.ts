import { BI, measure, quietSubscription, table, warmUp, type Row } from './measure';
import { writeSection } from './sections';
import { startDelayProxy } from './latency';
import { startOroProcess } from './oro-process';
import { startAzurite } from '../dev/azurite';
import { SETTLE_MS } from '../shared/oro/tasks-side';
import type { EventFields } from '../shared/sync/calendar/event-mapping';
import { MS_USER, ORO_OWNER, startCalendarHarness, type SyncHarness } from '../test/support/sync-harness';

/**
 * The calendar section of `npm run bench`: BENCH_EVENTS items (5,000) of which
 * BENCH_SERIES (200) are weekly series, each way, through the engine and beside a naive
 * baseline on the same data. Requests as the simulators count them.
 */
const N = Number(process.env.BENCH_EVENTS ?? 5_000);
const SERIES = Number(process.env.BENCH_SERIES ?? 200);
const CHANGES = 100;
/** The first sync Microsoft → Oro again, with Oro answering each request this much later (a real Oro's pace). */
const ORO_LATENCY_MS = Number(process.env.BENCH_ORO_LATENCY_MS ?? 20);
const LATENCY_N = Number(process.env.BENCH_LATENCY_EVENTS ?? 1000);
/** Items of the unmeasured first syncs that warm both implementations up (see warmUp). */
const WARM_UP_N = 300;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const oroTime = (ms: number) => new Date(ms).toISOString().replace('.000Z', '+00:00');
const graphTime = (ms: number) => ({
  dateTime: new Date(ms).toISOString().replace('.000Z', '.0000000'),
  timeZone: 'UTC',
});
const today = () => {
  const d = new Date();
  d.setUTCHours(0, 0, 0, 0);
  return d.getTime();
};

/** Item i: a weekly series for the first `series`, else a single, spread over the next 300 days. */
function item(i: number, series: number) {
  const start = today() + (1 + (i % 300)) * DAY + (8 + (i % 9)) * HOUR;
  return { title: `${i < series ? 'Series' : 'Event'} ${i}`, start, end: start + HOUR, series: i < series };
}

/** As many series among `count` items as SERIES among N. */
const seriesOf = (count: number) => Math.round((SERIES * count) / N);

/** `count` items on one side, the first `series` of them weekly series of 20 occurrences. */
export function seedCalendar(
  h: SyncHarness<EventFields>,
  where: 'oro' | 'ms',
  count = N,
  series = seriesOf(count),
) {
  const cal = h.microsoft.calendar(MS_USER);
  for (let i = 0; i < count; i++) {
    const e = item(i, series);
    if (where === 'oro') {
      h.oro.calendar.createEvent(ORO_OWNER, {
        title: e.title,
        start: oroTime(e.start),
        end: oroTime(e.end),
        ...(e.series
          ? {
              recurrence: {
                recurrenceType: 'weekly',
                interval: 1,
                dayOfWeek: [
                  new Date(e.start)
                    .toLocaleDateString('en-US', { weekday: 'long', timeZone: 'UTC' })
                    .toLowerCase(),
                ],
                startTime: oroTime(e.start),
                occurrences: 20,
                timeZone: 'UTC',
              },
            }
          : {}),
      });
    } else {
      cal.create({
        subject: e.title,
        start: graphTime(e.start),
        end: graphTime(e.end),
        ...(e.series
          ? {
              recurrence: {
                pattern: {
                  type: 'weekly',
                  interval: 1,
                  daysOfWeek: [
                    new Date(e.start)
                      .toLocaleDateString('en-US', { weekday: 'long', timeZone: 'UTC' })
                      .toLowerCase(),
                  ],
                },
                range: {
                  type: 'numbered',
                  startDate: new Date(e.start).toISOString().slice(0, 10),
                  numberOfOccurrences: 20,
                  recurrenceTimeZone: 'UTC',
                },
              },
            }
          : {}),
      });
    }
  }
}

function change(h: SyncHarness<EventFields>, where: 'oro' | 'ms', count: number) {
  if (where === 'oro') {
    const rows = h.oro.calendar.events(ORO_OWNER).filter((r) => r.recurringEventId === null);
    for (const r of rows.slice(0, count)) {
      h.oro.calendar.editEvent(r.id, { title: `${r.title} (changed)` });
    }
  } else {
    const cal = h.microsoft.calendar(MS_USER);
    for (const e of cal.all().slice(0, count)) {
      cal.update(e.id, { subject: `${String(e.subject)} (changed)` });
    }
  }
}

/** Where the requests are counted: the harness's simulators, or an Oro in its own process. */
type Sims = Parameters<typeof measure>[0];
/** The Oro a naive baseline writes to: the harness's, or one in its own process or behind a proxy. */
type NaiveOro = { url: string; calendar: number };

async function engine(
  label: string,
  h: SyncHarness<EventFields>,
  rows: Row[],
  options: Parameters<SyncHarness<EventFields>['run']>[2] = quietSubscription(false),
  sims: Sims = h,
) {
  const r = await measure(sims, async () => {
    const report = await h.run(BI, undefined, options);
    if (report.status !== 'ok') {
      throw new Error(`${label}: ${report.status} ${report.error ?? ''}`);
    }
    return { tableOps: h.lastLinkOperations() };
  });
  rows.push({ scenario: label, engine: 'sync engine', ...r });
  console.log(label, 'engine', r);
}

async function naive(
  label: string,
  h: SyncHarness<EventFields>,
  rows: Row[],
  oro?: NaiveOro,
  sims: Sims = h,
) {
  const token = await h.microsoft.graphToken(MS_USER);
  const r = await measure(sims, async () => {
    await naiveCalendarSync(h, token, oro);
    return { tableOps: 'n/a' };
  });
  rows.push({ scenario: label, engine: 'naive baseline', ...r });
  console.log(label, 'naive', r);
}

/**
 * What a first version would do: list every event on both sides (Oro's rows 100 a page,
 * Graph's /me/events 100 a page), match by title, and write one request per item.
 */
export async function naiveCalendarSync(
  h: SyncHarness<EventFields>,
  graphToken: string,
  oro: NaiveOro = { url: h.oro.url, calendar: h.oro.calendar.defaultCalendar(ORO_OWNER) },
) {
  const oroToken = (await (
    await fetch(`${oro.url}/oauth2-token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'sync', client_secret: 'pw' }),
    })
  ).json()) as { access_token: string };
  const oroHeaders = { Authorization: `Bearer ${oroToken.access_token}`, 'Content-Type': 'application/json' };
  const graphHeaders = { Authorization: `Bearer ${graphToken}`, 'Content-Type': 'application/json' };
  const { calendar } = oro;
  const oroRows: {
    id: number;
    title: string;
    start: string;
    end: string;
    recurringEventId: number | null;
  }[] = [];
  for (let page = 1; ; page++) {
    const res = await fetch(
      `${oro.url}/api/rest/latest/calendarevents?calendar=${calendar}&page=${page}&limit=100`,
      {
        headers: oroHeaders,
      },
    );
    const rows = (await res.json()) as typeof oroRows;
    oroRows.push(...rows);
    if (rows.length < 100) {
      break;
    }
  }
  const msEvents: { id: string; subject: string; start: { dateTime: string }; end: { dateTime: string } }[] =
    [];
  for (let url: string | undefined = `${h.microsoft.graphUrl}/v1.0/me/events?$top=100`; url;) {
    const page = (await (await fetch(url, { headers: graphHeaders })).json()) as {
      value: typeof msEvents;
      '@odata.nextLink'?: string;
    };
    msEvents.push(...page.value);
    url = page['@odata.nextLink'];
  }
  const msTitles = new Set(msEvents.map((e) => e.subject));
  const oroTitles = new Set(oroRows.map((r) => r.title));
  for (const r of oroRows) {
    if (r.recurringEventId !== null || msTitles.has(r.title)) {
      continue;
    }
    await fetch(`${h.microsoft.graphUrl}/v1.0/me/events`, {
      method: 'POST',
      headers: graphHeaders,
      body: JSON.stringify({
        subject: r.title,
        start: graphTime(Date.parse(r.start)),
        end: graphTime(Date.parse(r.end)),
      }),
    });
  }
  for (const e of msEvents) {
    if (oroTitles.has(e.subject)) {
      continue;
    }
    await fetch(`${oro.url}/api/rest/latest/calendarevents`, {
      method: 'POST',
      headers: oroHeaders,
      body: JSON.stringify({
        calendar,
        title: e.subject,
        start: `${e.start.dateTime.slice(0, 19)}+00:00`,
        end: `${e.end.dateTime.slice(0, 19)}+00:00`,
        allDay: false,
        notifyAttendees: 'none',
      }),
    });
  }
}

/** `BENCH=calendar npm run bench`: its own Azurite, then the section in BENCHMARKS.md. */
export async function runCalendarBench(): Promise<void> {
  const azurite = await startAzurite();
  process.env.TEST_STORAGE_CONNECTION_STRING = azurite.connectionString;
  try {
    writeCalendarSection(await calendarRows());
  } finally {
    await azurite.stop();
  }
}

async function calendarRows(): Promise<Row[]> {
  const rows: Row[] = [];
  await warmUp(
    () => startCalendarHarness(ORO_OWNER, { oroTimeoutMs: 30_000 }),
    (h, where) => seedCalendar(h, where, WARM_UP_N),
    naiveCalendarSync,
  );
  for (const [direction, where] of [
    ['Oro → Microsoft', 'oro'],
    ['Microsoft → Oro', 'ms'],
  ] as const) {
    let seeding = true;
    let tick = Date.now() - HOUR;
    const h = await startCalendarHarness(ORO_OWNER, {
      oroClock: () => (seeding ? (tick += HOUR / N) : Date.now()),
      oroTimeoutMs: 30_000,
    });
    seedCalendar(h, where);
    seeding = false;
    const settle = () => new Promise((r) => setTimeout(r, SETTLE_MS + 1000));
    await engine(`initial sync, ${N} events (${SERIES} series) ${direction}`, h, rows);
    // Runs are minutes apart; Oro's last seconds settle in between, as they would.
    await settle();
    await engine(`next run: reads its own writes back once`, h, rows);
    await settle();
    await engine(`idle incremental sync (${N} linked)`, h, rows);
    await engine(
      `idle scheduled run, Graph subscription quiet (${N} linked)`,
      h,
      rows,
      quietSubscription(true),
    );
    change(h, where, CHANGES);
    await engine(`${CHANGES} changes (${N} linked)`, h, rows);
    await h.close();

    const n = await startCalendarHarness(ORO_OWNER, { oroTimeoutMs: 30_000 });
    seedCalendar(n, where);
    await naive(`initial sync, ${N} events (${SERIES} series) ${direction}`, n, rows);
    await naive(`idle incremental sync (${N} linked)`, n, rows);
    change(n, where, CHANGES);
    await naive(`${CHANGES} changes (${N} linked)`, n, rows);
    await n.close();
  }
  await ownProcessRows(rows);
  await latencyRows(rows);
  return rows;
}

/**
 * The first sync Microsoft → Oro with the Oro simulator in a process of its own, as a real
 * Oro is: its work (parsing each event, its series and exceptions) is no longer charged to
 * the run, and runs beside it (bench/oro-process.ts).
 */
async function ownProcessRows(rows: Row[]) {
  const label = `initial sync, ${N} events (${SERIES} series) Microsoft → Oro, Oro in its own process`;
  for (const which of ['engine', 'naive'] as const) {
    const oro = await startOroProcess();
    const h = await startCalendarHarness(ORO_OWNER, { oroTimeoutMs: 30_000, oroBaseUrl: () => oro.url });
    if (h.oro.calendar.defaultCalendar(ORO_OWNER) !== oro.calendarId) {
      throw new Error('The Oro process gave the user another calendar id than the harness');
    }
    seedCalendar(h, 'ms');
    const sims = { microsoft: h.microsoft, oro };
    if (which === 'engine') {
      await engine(label, h, rows, quietSubscription(false), sims);
    } else {
      await naive(label, h, rows, { url: oro.url, calendar: oro.calendarId }, sims);
    }
    await h.close();
    await oro.close();
  }
}

/** The first sync Microsoft → Oro with Oro behind a proxy that answers ORO_LATENCY_MS later. */
async function latencyRows(rows: Row[]) {
  const label = `initial sync, ${LATENCY_N} events (${seriesOf(LATENCY_N)} series) Microsoft → Oro, Oro answering in ${ORO_LATENCY_MS} ms`;
  for (const which of ['engine', 'naive'] as const) {
    // Runs reach Oro through the proxy, which needs the simulator's address first.
    const via: { url?: string } = {};
    const h = await startCalendarHarness(ORO_OWNER, { oroTimeoutMs: 30_000, oroBaseUrl: () => via.url });
    const proxy = await startDelayProxy(h.oro.url, ORO_LATENCY_MS);
    via.url = proxy.url;
    seedCalendar(h, 'ms', LATENCY_N);
    if (which === 'engine') {
      await engine(label, h, rows);
    } else {
      await naive(label, h, rows, { url: proxy.url, calendar: h.oro.calendar.defaultCalendar(ORO_OWNER) });
    }
    await h.close();
    await proxy.close();
  }
}

function writeCalendarSection(rows: Row[]) {
  writeSection(
    'calendar',
    `## Calendar sync

${N} calendar items, ${SERIES} of them weekly series of 20 occurrences, the rest single
events spread over the next 300 days; measured on ${new Date().toISOString().slice(0, 10)}
against both simulators and an in-memory Azurite. The engine reads Graph through
\`calendarView/delta\` over its window (30 days back, 365 ahead) and series masters by id in
\`$batch\`; Oro by one listing of the window per run, then an \`updatedAt>\` watermark only when
that listing differs from the last full read's (docs/oro-calendar-read.md). The
naive baseline lists every event on both sides (100 a page), matches by title and writes one
request per missing item (series as plain events, no exceptions, no links). Each
implementation first runs a first sync of ${WARM_UP_N} events each way, not measured, so
that neither is measured cold. The rows "Oro in its own process" run the Oro simulator in a
child process, as a real Oro runs on its own machine; the rows "Oro answering in
${ORO_LATENCY_MS} ms" put it behind a proxy that answers that much later
(\`BENCH_ORO_LATENCY_MS\`). In-process, the engine's run also carries the Graph simulator's
work for its \`calendarView/delta\` read, where each series comes as its 20 occurrences
(${N - SERIES + 20 * SERIES} items, against ${N} from \`/me/events\` for the baseline):
docs/first-sync-performance.md.

${table(rows)}

The idle scheduled run with a quiet subscription reads no Graph at all (docs/push.md); Oro
takes 1 request: the window's listing, the same as the last full read's (same rows, same
update times; a cancelled occurrence removes its row from it, so a cancellation changes it
too), says that nothing changed and nothing was deleted, and the \`updatedAt>\` listing is
skipped. A run with changes makes that listing first and then reads as before; a full read
at least every 12 hours catches what the window cannot show (an exception row outside it).`,
  );
}
