import { isAppErrorCode, preconditionFailed } from '../errors/app-error';
import type { EtagCondition } from '../http/etag';

/**
 * Writers that did not send If-Match are retried over a concurrent change until this much
 * time has passed, with full-jitter exponential backoff between tries (so 50 writers of one
 * document spread out instead of colliding again in lockstep).
 */
const RETRY_FOR_MS = 10_000;
const BACKOFF_BASE_MS = 5;
const BACKOFF_CAP_MS = 250;

/** A conditional storage write that lost to a concurrent writer. */
export class LostRace extends Error {}

/** Runs a conditional storage write; losing to a concurrent writer becomes a LostRace. */
export async function raceAware<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isAppErrorCode(error, 'precondition-failed') || isAppErrorCode(error, 'conflict')) {
      throw new LostRace('lost a race to a concurrent writer', { cause: error });
    }
    throw error;
  }
}

export const isConditional = (p: { ifMatch?: EtagCondition; ifNoneMatch?: EtagCondition }): boolean =>
  p.ifMatch !== undefined || p.ifNoneMatch !== undefined;

/**
 * Someone wrote between our read and our write. A conditional request must see that
 * (412); an unconditional one is read and applied again on top of the newer version,
 * bounded by time rather than by a count of tries.
 */
export async function retryLostRaces<T>(
  what: string,
  conditional: boolean,
  attempt: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + RETRY_FOR_MS;
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof LostRace)) {
        throw error;
      }
      if (conditional) {
        throw preconditionFailed(`${what} was changed by another request; read it again`);
      }
      const delay = Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** n);
      if (Date.now() + delay > deadline) {
        throw preconditionFailed(`${what} kept changing for ${RETRY_FOR_MS / 1000} s; try again later`);
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
