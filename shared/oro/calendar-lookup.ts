import { z } from 'zod';
import { SideError } from '../sync/ports';
import { oroAnswerClass, type OroClient } from './client';
import { EVENTS, oroRestErrorDetail } from './calendar-rows';

/**
 * Which Oro calendar holds a user's events. Stock Oro 6.1 gives an integration user no way
 * to look another user's calendar up: `Calendar` is commented out of OroCalendarBundle's
 * JSON:API config (`Resources/config/oro/api.yml`), and REST `GET
 * /api/rest/latest/calendars/default` answers the *calling* user's. So the id comes from
 * the user's settings (`calendar.oroCalendarId`, written by the admin portal); only where
 * an instance does expose calendars in its JSON:API is it looked up by owner.
 */

const calendarList = z.object({ data: z.array(z.object({ id: z.string() }).loose()) }).loose();

/** Why calendar sync cannot start for this user (no id set, none found). Not retried: a setting must change. */
export class CalendarNotKnown extends SideError {
  constructor(message: string) {
    super('oro', message, 'permanent');
  }
}

export const settingHint = (userId: string) =>
  `set calendar.oroCalendarId in the settings of user "${userId}" (PATCH /api/settings/users/${userId}); see docs/oro-setup.md`;

/**
 * The user's calendar by owner over JSON:API, where the instance exposes it; undefined
 * where it does not (404 not accessible, 400 filter refused, 403, 405: all plausible
 * answers of an instance without the resource or the filter).
 */
export async function discoverCalendar(client: OroClient, userId: string): Promise<number | undefined> {
  const res = await client.request(
    'GET',
    `/api/calendars?filter%5Bowner%5D=${encodeURIComponent(userId)}&fields%5Bcalendars%5D=id`,
    undefined,
    'json-api',
  );
  if ([400, 403, 404, 405].includes(res.status)) {
    return undefined;
  }
  if (res.status !== 200) {
    throw new SideError(
      'oro',
      `Oro answered ${res.status} to GET /api/calendars`,
      oroAnswerClass(res),
      res.status,
    );
  }
  const parsed = calendarList.safeParse(res.body);
  if (!parsed.success) {
    throw new SideError(
      'oro',
      `Oro answered an unexpected calendars document: ${parsed.error.message}`,
      'permanent',
    );
  }
  const id = Number(parsed.data.data[0]?.id);
  return Number.isInteger(id) && id > 0 ? id : undefined;
}

/** The configured id, else one found over JSON:API; a CalendarNotKnown naming the setting otherwise. */
export async function resolveCalendar(
  client: OroClient,
  userId: string,
  configured: number | undefined,
): Promise<number> {
  if (configured !== undefined) {
    return configured;
  }
  const found = await discoverCalendar(client, userId);
  if (found === undefined) {
    throw new CalendarNotKnown(
      `No Oro calendar is known for user "${userId}": stock Oro does not let the integration user look it up; ${settingHint(userId)}`,
    );
  }
  return found;
}

/**
 * Check Connection's Oro calendar line: one listing of at most one event of the calendar.
 * It proves the credentials, the API user's permission to list events and the id's
 * format; stock Oro answers an empty list for a calendar id nobody owns, so an empty
 * calendar is reported as such, for the admin to compare with the user's Oro calendar.
 */
export async function checkCalendar(
  client: OroClient,
  userId: string,
  configured: number | undefined,
): Promise<{ ok: boolean; detail: string }> {
  try {
    const calendar = await resolveCalendar(client, userId, configured);
    const res = await client.request(
      'GET',
      `${EVENTS}?calendar=${calendar}&page=1&limit=1`,
      undefined,
      'json',
    );
    if (res.status !== 200 || !Array.isArray(res.body)) {
      return {
        ok: false,
        detail: `Oro calendar ${calendar} is not readable: Oro answered ${res.status}: ${oroRestErrorDetail(res.body)}`,
      };
    }
    return {
      ok: true,
      detail:
        res.body.length > 0
          ? `Oro calendar ${calendar} can be read`
          : `Oro calendar ${calendar} can be read; it has no events yet (check the id if the user has some)`,
    };
  } catch (error) {
    if (error instanceof SideError) {
      return { ok: false, detail: error.message };
    }
    throw error;
  }
}
