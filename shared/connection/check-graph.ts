import type { Client } from '@microsoft/microsoft-graph-client';
import { goneFolderMessage } from '../microsoft/folders';
import { asSideError, batch, graphAnswerClass, graphErrorMessage } from '../microsoft/graph-client';
import { SideError } from '../sync/ports';
import type { CheckResult } from './connection-service';

/**
 * Check Connection's Microsoft lines: profile, the calendar and the To Do list the user
 * chose for sync (else the defaults, docs/folders.md), read in one `$batch`.
 */
export async function checkGraph(
  client: Client,
  { calendarId, listId }: { calendarId: string | null; listId: string | null },
): Promise<CheckResult> {
  let answers: Awaited<ReturnType<typeof batch>>;
  try {
    answers = await batch(client, [
      { id: 'profile', method: 'GET', url: '/me?$select=displayName,userPrincipalName' },
      {
        id: 'calendar',
        method: 'GET',
        url: `${calendarId === null ? '/me/calendar' : `/me/calendars/${encodeURIComponent(calendarId)}`}?$select=name,canEdit`,
      },
      {
        id: 'tasks',
        method: 'GET',
        url: `${listId === null ? '/me/todo/lists' : `/me/todo/lists/${encodeURIComponent(listId)}`}?$select=displayName,wellknownListName`,
      },
    ]);
  } catch (error) {
    // Graph refused the batch or did not answer in time, or the mailbox's 4 requests were
    // busy with sync runs for as long as a request waits: each line says so (a failed
    // check, not a failed request).
    const failure = asSideError(error);
    if (!(failure instanceof SideError)) {
      throw error;
    }
    const reason = /[.!?]$/.test(failure.message) ? failure.message : `${failure.message}.`;
    const detail = `Microsoft 365 could not be checked now: ${reason} Try again in a minute.`;
    return {
      ok: false,
      checks: (['profile', 'calendar', 'tasks'] as const).map((name) => ({ name, ok: false, detail })),
    };
  }
  const [profile, calendar, tasks] = answers;
  const checks: CheckResult['checks'] = [
    report(
      'profile',
      profile,
      (b: { displayName?: string; userPrincipalName?: string }) =>
        `Signed in as ${b.displayName ?? '?'} <${b.userPrincipalName ?? '?'}>`,
    ),
    report('calendar', calendar, (b: { name?: string; canEdit?: boolean }) =>
      b.canEdit === false
        ? `Calendar "${b.name ?? '?'}" is read-only`
        : `Calendar "${b.name ?? '?'}" can be written`,
    ),
    report(
      'tasks',
      tasks,
      (b: { displayName?: string; value?: { displayName?: string; wellknownListName?: string }[] }) => {
        const list = b.value ? (b.value.find((l) => l.wellknownListName === 'defaultList') ?? b.value[0]) : b;
        return list ? `To Do list "${list.displayName ?? '?'}" found` : 'No To Do list found';
      },
    ),
  ];
  // A chosen calendar or list Graph no longer has: say which setting to change.
  for (const [i, kind, chosen, answer] of [
    [1, 'calendar', calendarId, calendar],
    [2, 'task list', listId, tasks],
  ] as const) {
    if (chosen !== null && answer && graphAnswerClass(answer) === 'gone') {
      checks[i] = { ...checks[i]!, detail: goneFolderMessage(kind) };
    }
  }
  if (calendar?.status === 200 && (calendar.body as { canEdit?: boolean }).canEdit === false) {
    checks[1] = { ...checks[1]!, ok: false };
  }
  return { ok: checks.every((c) => c.ok), checks };
}

function report<B>(
  name: 'profile' | 'calendar' | 'tasks',
  result: { status: number; body: unknown } | undefined,
  describe: (body: B) => string,
): CheckResult['checks'][number] {
  if (result?.status === 200) {
    return { name, ok: true, detail: describe(result.body as B) };
  }
  return {
    name,
    ok: false,
    detail: `Graph answered ${result?.status ?? 'nothing'}: ${graphErrorMessage(result?.body)}`,
  };
}
