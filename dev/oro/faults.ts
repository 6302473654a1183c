import type { ServerResponse } from 'node:http';
import { JSON_API, error, send } from './jsonapi';

/** 'hang': the request is never answered (the client must time out); nothing changes. */
export type OroFault = 'error-500' | 'throttle-429' | 'apply-then-drop' | 'hang';

/** Faults a test arms for the next API requests, and requests counted per route. */
export function createOroFaults() {
  const faults: OroFault[] = [];
  const counts: Record<string, number> = {};

  return {
    /** Counts a request under "METHOD /path" (a trailing numeric id replaced by {id}). */
    count(method: string, pathname: string): void {
      const key = `${method} ${pathname.replace(/\/\d+$/, '/{id}')}`;
      counts[key] = (counts[key] ?? 0) + 1;
    },
    failNext: (fault: OroFault, count = 1): void => {
      for (let i = 0; i < count; i++) {
        faults.push(fault);
      }
    },
    armed: (): readonly OroFault[] => [...faults],
    requestCounts: () => ({ ...counts }),
    resetCounts: (): void => {
      for (const k of Object.keys(counts)) {
        delete counts[k];
      }
    },
    /**
     * Meets the next armed fault on an API request. Returns whether the request is answered
     * (or left hanging) already, and if not, how its answer is sent: under apply-then-drop the
     * change is made but the client never hears back, an ambiguous outcome.
     */
    apply(
      res: ServerResponse,
    ): { done: true } | { done: false; reply: (status: number, payload?: unknown, type?: string) => void } {
      const fault = faults.shift();
      if (fault === 'hang') {
        return { done: true }; // the socket stays open until the client gives up
      }
      if (fault === 'error-500') {
        error(res, 500, 'runtime exception', 'Simulated server failure.');
        return { done: true };
      }
      if (fault === 'throttle-429') {
        res.writeHead(429, { 'Content-Type': JSON_API, 'Retry-After': '1' });
        res.end(
          JSON.stringify({ errors: [{ status: '429', title: 'too many requests', detail: 'Slow down.' }] }),
        );
        return { done: true };
      }
      const dropAfter = fault === 'apply-then-drop';
      return {
        done: false,
        reply: (status, payload, type) => {
          if (dropAfter) {
            res.destroy();
          } else {
            send(res, status, payload, type);
          }
        },
      };
    },
  };
}
