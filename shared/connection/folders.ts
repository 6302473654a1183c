import { ZodError } from 'zod';
import { AppError } from '../errors/app-error';
import {
  folderError,
  listCalendars,
  listTaskLists,
  type CalendarChoice,
  type TaskListChoice,
} from '../microsoft/folders';
import type { GraphClients } from '../microsoft/graph-client';
import type { SettingsService } from '../settings/service';
import { SideError } from '../sync/ports';
import type { ConnectionService } from './connection-service';

/**
 * The connected user's Outlook calendars and To Do lists, listed for the settings screen's
 * "Calendar" and "Task list" choices. Same checks as Check Connection: an unknown user is
 * 404, a user without a connected account 409 not-connected (with the reason).
 */
export class MicrosoftFolders {
  constructor(
    private readonly deps: {
      settings: SettingsService;
      connections: ConnectionService;
      /** The user's Graph client, under their mailbox budget (shared/app/graph-clients.ts). */
      graph: GraphClients;
    },
  ) {}

  calendars(userId: string): Promise<CalendarChoice[]> {
    return this.list(userId, 'calendar', listCalendars);
  }

  taskLists(userId: string): Promise<TaskListChoice[]> {
    return this.list(userId, 'task list', listTaskLists);
  }

  private async list<T>(
    userId: string,
    kind: 'calendar' | 'task list',
    read: (client: ReturnType<GraphClients>) => Promise<T>,
  ): Promise<T> {
    await this.deps.settings.requireUser(userId);
    const token = await this.deps.connections.graphAccessToken(userId);
    const client = this.deps.graph(userId, () => Promise.resolve(token));
    try {
      return await read(client);
    } catch (error) {
      throw asAppError(userId, kind, error);
    }
  }
}

/** Graph's refusal as this API's problem, by its one classification (shared/errors/classify.ts). */
function asAppError(userId: string, kind: 'calendar' | 'task list', error: unknown): unknown {
  if (error instanceof ZodError) {
    return new AppError(
      'dependency-unavailable',
      `Microsoft Graph sent a ${kind} list this service cannot read.`,
      {
        cause: error,
      },
    );
  }
  const side = folderError(error, undefined, kind);
  if (!(side instanceof SideError)) {
    return side;
  }
  const what = kind === 'calendar' ? 'the calendars' : 'the To Do lists';
  switch (side.kind) {
    case 'auth':
      return new AppError(
        'not-connected',
        `Microsoft refused the access token of user "${userId}" reading ${what}: connect the Microsoft account again.`,
        { cause: error },
      );
    case 'retryable':
    case 'resync':
      return new AppError(
        'dependency-unavailable',
        `Microsoft Graph did not list ${what}; try again later.`,
        {
          cause: error,
          headers: { 'Retry-After': String(Math.max(1, Math.ceil((side.retryAfterMs ?? 5000) / 1000))) },
        },
      );
    default:
      // 403 (a permission not granted), 404 (no mailbox): asking again changes nothing.
      return new AppError('conflict', `Microsoft refused to list ${what}: ${side.message}`, { cause: error });
  }
}
