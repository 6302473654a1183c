import type { EventException, EventFields } from '../sync/calendar/event-mapping';
import {
  exceptionToGraph,
  originalStartKey,
  patternOccurrence,
  planExceptions,
  readGraphExceptions,
  type GraphSeriesMaster,
} from '../sync/calendar/graph-exceptions';
import type { Write } from '../sync/plan';
import type { WriteResult } from '../sync/ports';
import {
  badDocument,
  DAY,
  eventDoc,
  failure,
  instancesPage,
  iso,
  PREFER,
  readStep,
  refused,
  snapshot,
} from './calendar-documents';
import type { CalendarIo } from './calendar-read';
import type { BatchStep } from './graph-client';

/** Where a written series stands: its failure so far (if any), and its id and version. */
export interface SeriesWrite {
  w: Write<EventFields>;
  i: number;
}

/**
 * Brings the exceptions of written series to what the writes want: reads what Graph holds
 * now (a retried create, same transactionId, may find them half made), then patches,
 * cancels or reverts occurrences, looking up the instance ids of occurrences that are no
 * exception yet. Fills `results[i]` with a series' first failure; `done[i]` carries its
 * id and gets its new version. Returns the series whose cancelled occurrences Microsoft
 * cannot bring back, with those occurrences.
 */
export async function writeSeriesExceptions(
  io: CalendarIo,
  writes: readonly Write<EventFields>[],
  series: readonly SeriesWrite[],
  results: (WriteResult<EventFields> | undefined)[],
  done: { id: string; version: string }[],
): Promise<Map<number, string[]>> {
  const current = new Map<number, { exceptions: EventException[]; ids: Map<string, string> }>();
  const readAnswers = await io.batch(series.map(({ i }) => readStep(done[i]!.id, String(i))));
  readAnswers.forEach((a, k) => {
    const { w, i } = series[k]!;
    const parsed = eventDoc.safeParse(a.body);
    if (a.status !== 200 || !parsed.success) {
      results[i] = a.status === 200 ? badDocument(w) : failure(w, a);
      return;
    }
    // The series as it is (a write reaches a private event only when it is copied in full).
    const mapped = snapshot(parsed.data, 'full');
    if ('private' in mapped) {
      return;
    }
    if ('unsupported' in mapped) {
      results[i] = refused(mapped.unsupported);
      return;
    }
    const ex = readGraphExceptions(parsed.data as unknown as GraphSeriesMaster, mapped.item.fields);
    current.set(i, { exceptions: mapped.item.fields.exceptions, ids: ex.ids });
    done[i]!.version = mapped.item.version;
  });
  const impossible = new Map<number, string[]>();
  const targets: { i: number; key: string; action: 'patch' | 'cancel' | 'revert'; body?: unknown }[] = [];
  for (const { w, i } of series) {
    if (results[i]) {
      continue;
    }
    const fields = w.fields!;
    const plan = planExceptions(current.get(i)?.exceptions ?? [], fields.exceptions);
    if (plan.impossible.length > 0) {
      impossible.set(i, plan.impossible);
    }
    for (const x of plan.patch) {
      targets.push({ i, key: x.originalStart, action: 'patch', body: exceptionToGraph(fields, x) });
    }
    for (const key of plan.cancel) {
      targets.push({ i, key, action: 'cancel' });
    }
    for (const key of plan.revert) {
      const at = patternOccurrence(fields, key);
      targets.push({
        i,
        key,
        action: 'revert',
        body: exceptionToGraph(fields, {
          originalStart: key,
          cancelled: false,
          title: fields.title,
          description: fields.description,
          location: fields.location,
          start: at.start,
          end: at.end,
        }),
      });
    }
  }
  // Occurrences that are not exceptions yet: their instance ids, one narrow /instances read each.
  const lookups = targets.filter((t) => !current.get(t.i)?.ids.has(t.key));
  const lookupAnswers = await io.batch(
    lookups.map((t, k) => {
      const fields = writes[t.i]!.fields!;
      const from = fields.allDay ? `${t.key}T00:00:00Z` : t.key;
      const span = fields.allDay ? DAY : 60_000;
      return {
        id: String(k),
        method: 'GET' as const,
        url: `/me/events/${encodeURIComponent(done[t.i]!.id)}/instances?startDateTime=${iso(Date.parse(from) - (fields.allDay ? 14 * 3_600_000 : 0))}&endDateTime=${iso(Date.parse(from) + span)}&$select=id,originalStart,start,end`,
        headers: { Prefer: PREFER },
      };
    }),
  );
  const instanceOf = new Map<(typeof targets)[number], string>();
  lookupAnswers.forEach((a, k) => {
    const t = lookups[k]!;
    const parsed = instancesPage.safeParse(a.body);
    if (a.status !== 200 || !parsed.success) {
      results[t.i] ??= a.status === 200 ? badDocument(writes[t.i]!) : failure(writes[t.i]!, a);
      return;
    }
    const fields = writes[t.i]!.fields!;
    const hit = parsed.data.value.find(
      (x) => x.originalStart && originalStartKey(fields, x.originalStart) === t.key,
    );
    if (hit) {
      instanceOf.set(t, hit.id);
    } else {
      results[t.i] ??= refused(`the series has no occurrence at ${t.key} for this exception`);
    }
  });
  const steps: { t: (typeof targets)[number]; step: BatchStep }[] = [];
  for (const t of targets) {
    if (results[t.i]) {
      continue;
    }
    const instanceId = current.get(t.i)?.ids.get(t.key) ?? instanceOf.get(t);
    if (!instanceId) {
      continue;
    }
    const url = `/me/events/${encodeURIComponent(instanceId)}`;
    steps.push({
      t,
      step:
        t.action === 'cancel'
          ? { id: '', method: 'DELETE', url, headers: { Prefer: PREFER } }
          : { id: '', method: 'PATCH', url, body: t.body, headers: { Prefer: PREFER } },
    });
  }
  const stepAnswers = await io.batch(steps.map((s, k) => ({ ...s.step, id: String(k) })));
  stepAnswers.forEach((a, k) => {
    const { t } = steps[k]!;
    const ok = t.action === 'cancel' ? a.status === 204 || a.status === 404 : a.status === 200;
    if (!ok) {
      results[t.i] ??= failure(writes[t.i]!, a);
    } else {
      done[t.i]!.version = `${done[t.i]!.version}+${k}`;
    }
  });
  return impossible;
}
