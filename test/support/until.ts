/**
 * Polls `probe` every 100 ms until it gives a value (not undefined), for what a test waits
 * on across processes (Service Bus, the dev host's functions). Times out after `ms` with
 * `what` (a function for a message built at that moment, such as the log so far).
 */
export async function until<T>(
  what: string | (() => string),
  probe: () => T | undefined | Promise<T | undefined>,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(typeof what === 'string' ? `timed out waiting for ${what}` : what());
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
