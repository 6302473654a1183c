import type { SentKind, SentMessage, SimAttendee, SimEvent, SimException } from './calendar-model';

/**
 * The mail Exchange would send for each change an organizer makes (invitations, updates,
 * cancellations), counted so tests can prove the sync sends none the user did not cause.
 */
export class MailLog {
  private readonly sent: SentMessage[] = [];

  /** Mail sent since the last reset. */
  messages(): SentMessage[] {
    return this.sent.map((m) => structuredClone(m));
  }

  reset(): void {
    this.sent.length = 0;
  }

  send(kind: SentKind, e: SimEvent, to: SimAttendee[]): void {
    this.sent.push({
      kind,
      eventId: e.id,
      subject: e.subject,
      recipients: to.map((a) => a.emailAddress.address),
    });
  }

  /** Takes back what was counted for an event (an invitation received sends nothing). */
  forget(eventId: string): void {
    for (let i = this.sent.length - 1; i >= 0; i--) {
      if (this.sent[i]!.eventId === eventId) {
        this.sent.splice(i, 1);
      }
    }
  }

  /**
   * A single event or series changed by its organizer: new attendees are invited, those
   * who stayed get an update when the meeting changed, removed ones a cancellation.
   */
  updated(before: SimEvent, e: SimEvent): void {
    if (!e.isOrganizer) {
      return;
    }
    const known = new Set(before.attendees.map((a) => a.emailAddress.address.toLowerCase()));
    const added = e.attendees.filter((a) => !known.has(a.emailAddress.address.toLowerCase()));
    if (added.length > 0) {
      this.send('invitation', e, added);
    }
    const meetingChanged =
      JSON.stringify([
        before.start,
        before.end,
        before.recurrence,
        before.location,
        before.subject,
        before.body,
      ]) !== JSON.stringify([e.start, e.end, e.recurrence, e.location, e.subject, e.body]);
    const stayed = e.attendees.filter((a) => known.has(a.emailAddress.address.toLowerCase()));
    if (meetingChanged && stayed.length > 0) {
      this.send('update', e, stayed);
    }
    const kept = new Set(e.attendees.map((a) => a.emailAddress.address.toLowerCase()));
    const removed = before.attendees.filter((a) => !kept.has(a.emailAddress.address.toLowerCase()));
    if (removed.length > 0) {
      this.send('cancellation', e, removed);
    }
  }

  /** One occurrence of an organizer's series moved or reworded: every attendee gets an update. */
  occurrenceUpdated(e: SimEvent, before: SimException, exception: SimException): void {
    if (!e.isOrganizer || e.attendees.length === 0) {
      return;
    }
    const moved =
      before.start !== exception.start ||
      before.end !== exception.end ||
      JSON.stringify([before.subject, before.location, before.body]) !==
        JSON.stringify([exception.subject, exception.location, exception.body]);
    if (moved) {
      this.send('update', e, e.attendees);
    }
  }

  /** A meeting (or one occurrence of it) its organizer deleted: every attendee is told. */
  cancelled(e: SimEvent): void {
    if (e.isOrganizer && e.attendees.length > 0) {
      this.send('cancellation', e, e.attendees);
    }
  }
}
