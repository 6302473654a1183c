import type { Client } from '@microsoft/microsoft-graph-client';
import type { PrivateEvents } from '../settings/schema';
import type { EventFields } from '../sync/calendar/event-mapping';
import { keepCancelledOccurrences } from '../sync/calendar/graph-exceptions';
import {
  DEFAULT_CALENDAR_WINDOW,
  syncWindowAt,
  WINDOW_STEP_DAYS,
  type CalendarWindow,
} from '../sync/calendar/window';
import type { Write } from '../sync/plan';
import { SideError, type ReadResult, type SideFolder, type SidePort, type WriteResult } from '../sync/ports';
import { deltaPage, PREFER, type DeltaPage } from './calendar-documents';
import { calendarPaths, readCalendar, type CalendarIo, type CalendarPaths } from './calendar-read';
import { describeCalendar } from './folders';
import { writeCalendar } from './calendar-write';
import { batchWithRetry, type BatchResult, type BatchStep } from './graph-client';

export { COPY_PROPERTY, LINK_PROPERTY } from './calendar-documents';
export { transactionIdFor } from './calendar-write';

export interface CalendarSideOptions {
  window?: CalendarWindow;
  /** How many days the read window moves at once (sync/calendar/window.ts); 1: daily. */
  windowStepDays?: number;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** Delta page size (Prefer: odata.maxpagesize). */
  pageSize?: number;
  /** What events marked private in Outlook become (setting calendar.privateEvents). */
  privateEvents?: PrivateEvents;
  /** The calendar chosen for sync (setting calendar.microsoftCalendarId); unset: the default one. */
  calendarId?: string | undefined;
}

/**
 * A user's Microsoft 365 calendar as a sync side. One item per single event or series
 * (the series carries its exceptions). Reads: calendar-read.ts (calendarView/delta over a
 * window that moves in coarse steps; idle: one request). Writes: calendar-write.ts ($batch
 * of 20) and calendar-exceptions.ts (the exceptions of written series on their instances).
 */
export class GraphCalendarSide implements SidePort<EventFields>, CalendarIo {
  readonly side = 'microsoft' as const;
  requests = 0;
  /** What the last read() mapped with a caveat (an unreadable cancelled occurrence), for the log. */
  readNotes: string[] = [];
  private readonly window: CalendarWindow;
  private readonly now: () => Date;
  readonly paths: CalendarPaths;
  readonly folder: SideFolder;

  constructor(
    private readonly client: Client,
    private readonly options: CalendarSideOptions = {},
  ) {
    this.window = options.window ?? DEFAULT_CALENDAR_WINDOW;
    this.now = options.now ?? (() => new Date());
    this.paths = calendarPaths(options.calendarId);
    this.folder = {
      kind: 'calendar',
      chosen: options.calendarId,
      describe: (chosen) => {
        this.requests++;
        return describeCalendar(this.client, chosen);
      },
    };
  }

  readonly confirmsCreates = true;

  async read(
    cursor: string | undefined,
    linkedIds: ReadonlySet<string>,
    unconfirmed: ReadonlySet<string> = new Set(),
  ): Promise<ReadResult<EventFields>> {
    this.readNotes = [];
    const wanted = syncWindowAt(this.now(), this.window, this.options.windowStepDays ?? WINDOW_STEP_DAYS);
    const { result, notes } = await readCalendar(
      this,
      cursor,
      wanted,
      linkedIds,
      unconfirmed,
      this.options.privateEvents ?? 'busy-only',
    );
    this.readNotes = notes;
    return result;
  }

  write(writes: readonly Write<EventFields>[]): Promise<WriteResult<EventFields>[]> {
    return writeCalendar(this, writes);
  }

  keeps(current: EventFields, wanted: EventFields, base: EventFields): EventFields {
    return keepCancelledOccurrences(current, wanted, base);
  }

  /** Any number of requests in $batch of 20, 429s waited out per step; never throws. */
  async batch(steps: readonly BatchStep[]): Promise<BatchResult[]> {
    if (steps.length === 0) {
      return [];
    }
    return batchWithRetry(this.client, steps, {
      onRequest: () => this.requests++,
      ...(this.options.sleep ? { sleep: this.options.sleep } : {}),
    });
  }

  /** One delta round: `first` and every `@odata.nextLink` after it. Throws Graph's errors as they are. */
  async deltaRound(first: string): Promise<DeltaPage[]> {
    const pages: DeltaPage[] = [];
    const prefer = `${PREFER}, odata.maxpagesize=${this.options.pageSize ?? 100}`;
    for (let link: string | undefined = first; link;) {
      this.requests++;
      const raw: unknown = await this.client.api(link).header('Prefer', prefer).get();
      const page = deltaPage.safeParse(raw);
      if (!page.success) {
        throw new SideError(
          'microsoft',
          `Graph sent a calendar delta page this sync cannot read`,
          'permanent',
        );
      }
      pages.push(page.data);
      link = page.data['@odata.nextLink'];
    }
    return pages;
  }
}
