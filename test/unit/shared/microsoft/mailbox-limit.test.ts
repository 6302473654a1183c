import { mailboxPermits } from '../../../../shared/microsoft/mailbox-limit';

/**
 * Outlook's counting rule (learn.microsoft.com/graph/throttling-limits, "Outlook service
 * limits for JSON batching"): Graph hands Outlook up to four unordered steps of a batch
 * at a time, and the steps of a dependsOn chain one at a time.
 */
describe('mailboxPermits', () => {
  const step = (id: number, dependsOn?: string[]) => ({
    id: String(id),
    method: 'GET',
    url: '/me',
    dependsOn,
  });
  const batch = (steps: unknown[]) => JSON.stringify({ requests: steps });

  it('counts a plain request as one', () => {
    expect(mailboxPermits('https://graph.microsoft.com/v1.0/me/events/delta', undefined)).toBe(1);
  });

  it('counts a batch as its unordered steps, at most four', () => {
    const url = 'https://graph.microsoft.com/v1.0/$batch';
    expect(mailboxPermits(url, batch([step(1), step(2)]))).toBe(2);
    expect(mailboxPermits(url, batch(Array.from({ length: 20 }, (_, i) => step(i))))).toBe(4);
  });

  it('counts a batch whose steps form one dependsOn chain as one', () => {
    const url = 'https://graph.microsoft.com/v1.0/$batch';
    expect(mailboxPermits(url, batch([step(1), step(2, ['1']), step(3, ['2'])]))).toBe(1);
    // Only partly ordered: up to four may still run together.
    expect(mailboxPermits(url, batch([step(1), step(2), step(3, ['1'])]))).toBe(3);
  });

  it('counts a body it cannot read as one request', () => {
    expect(mailboxPermits('http://localhost:1/v1.0/$batch', '{not json')).toBe(1);
  });
});
