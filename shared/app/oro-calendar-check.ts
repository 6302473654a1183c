import type { ExtraCheck } from '../connection/connection-service';
import { isAppError } from '../errors/app-error';
import { checkCalendar } from '../oro/calendar-lookup';
import type { SettingsService } from '../settings/service';
import type { OroClients } from './oro-clients';

/** Check Connection keeps to a short wait: an admin is looking at the screen. */
const CHECK_TIMEOUT_MS = 10_000;

/**
 * Check Connection's Oro calendar line, for a user whose calendar sync is enabled: the
 * Oro connection of the user's settings, then one listing of the user's calendar
 * (shared/oro/calendar-lookup.ts), under the Oro instance's budget as a run's requests.
 * A missing Oro setting is reported, not thrown.
 */
export function oroCalendarCheck(settings: SettingsService, oro: OroClients): ExtraCheck {
  return async (userId) => {
    const user = await settings.resolveUser(userId);
    if (user.resolved['calendar.enabled'].value !== true) {
      return undefined;
    }
    let connection;
    try {
      connection = await settings.oroConnection(user);
    } catch (error) {
      if (!isAppError(error)) {
        throw error;
      }
      return { name: 'oro-calendar', ok: false, detail: error.message };
    }
    const configured = user.resolved['calendar.oroCalendarId'].value as number | null;
    const result = await checkCalendar(
      oro(connection, { timeoutMs: CHECK_TIMEOUT_MS }),
      userId,
      configured ?? undefined,
    );
    return { name: 'oro-calendar', ...result };
  };
}
