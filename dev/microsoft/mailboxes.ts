import { randomBytes } from 'node:crypto';
import type { SimAccount } from './accounts';
import { CalendarStore, type CalendarChange, type SimCalendarInfo } from './calendar';
import type { SubscriptionHub } from './subscriptions';
import { TodoStore } from './todo';

/**
 * Every account's mailbox as Graph serves it: its calendars and To Do lists (made on first
 * use, the default one first), its mailbox time zone, and the change feed of its calendars
 * that subscriptions and tests listen to.
 */
export class Mailboxes {
  private readonly todos = new Map<string, TodoStore[]>();
  private readonly calendarStores = new Map<string, CalendarStore[]>();
  private readonly zones = new Map<string, string>();
  private readonly calendarListeners: ((change: CalendarChange) => void)[] = [];

  constructor(private readonly subscriptions: SubscriptionHub) {}

  /** An account's To Do lists, the default one first. */
  todoLists(account: SimAccount): TodoStore[] {
    let stores = this.todos.get(account.oid);
    if (!stores) {
      stores = [this.newTodoList(account)];
      this.todos.set(account.oid, stores);
    }
    return stores;
  }

  todo(account: SimAccount): TodoStore {
    return this.todoLists(account)[0]!;
  }

  addTodoList(account: SimAccount, displayName: string): TodoStore {
    const store = this.newTodoList(account, { displayName, wellknownListName: 'none' });
    this.todoLists(account).push(store);
    return store;
  }

  /** An account's calendars, the default one first. */
  calendars(account: SimAccount): CalendarStore[] {
    let stores = this.calendarStores.get(account.oid);
    if (!stores) {
      stores = [this.newCalendar(account)];
      this.calendarStores.set(account.oid, stores);
    }
    return stores;
  }

  calendar(account: SimAccount): CalendarStore {
    return this.calendars(account)[0]!;
  }

  addCalendar(account: SimAccount, name: string): CalendarStore {
    const store = this.newCalendar(account, {
      id: `AAMkAGI2-calendar-${randomBytes(9).toString('base64url').replace(/[-_]/g, 'x')}`,
      name,
      isDefault: false,
    });
    this.calendars(account).push(store);
    return store;
  }

  mailboxTimeZone(account: SimAccount): string {
    return this.zones.get(account.oid) ?? account.timeZone;
  }

  setMailboxTimeZone(account: SimAccount, zone: string): void {
    this.zones.set(account.oid, zone);
  }

  /** Every calendar change of every account (what change notifications are made from). */
  onCalendarChange(listener: (change: CalendarChange) => void): () => void {
    this.calendarListeners.push(listener);
    return () => {
      const i = this.calendarListeners.indexOf(listener);
      if (i >= 0) {
        this.calendarListeners.splice(i, 1);
      }
    };
  }

  private newTodoList(account: SimAccount, info?: TodoStore['info']): TodoStore {
    const created: TodoStore = new TodoStore(
      Date.now,
      (type, id) =>
        this.subscriptions.notify(account.oid, `/me/todo/lists/${created.listId}/tasks`, type, id),
      info,
    );
    return created;
  }

  private newCalendar(account: SimAccount, info?: Partial<SimCalendarInfo>): CalendarStore {
    const store = new CalendarStore(account, Date.now, info);
    // A `/me/events` subscription is told of "changes to all events in a user's mailbox"
    // (Graph v1.0 subscription resource type, supported resources), in any calendar.
    store.onChange((change) => {
      this.subscriptions.notify(change.accountOid, '/me/events', change.changeType, change.id);
      for (const listener of [...this.calendarListeners]) {
        listener(change);
      }
    });
    return store;
  }
}
