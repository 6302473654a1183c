import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { readBody } from '../../../dev/microsoft/respond';
import { closeNow, listen } from '../../../dev/ports';
import { startOroSimulator, type OroSimulator } from '../../../dev/oro/simulator';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * The Oro simulator's outgoing webhooks, as oroinc/platform's OroIntegrationBundle sends them
 * (Model/WebhookNotificationSender.php, Model/WebhookNotifier.php,
 * Async/WebhookNotificationProcessor.php, Model/WebhookResponseProcessor/*).
 */
describe('Oro simulator: webhooks as OroIntegrationBundle sends them', () => {
  let oro: OroSimulator;
  let receiver: Server;
  let url = '';
  const received: Received[] = [];
  const answers: number[] = [];

  beforeAll(async () => {
    oro = await startOroSimulator({ clock: () => Date.parse('2026-05-01T10:00:00Z') });
    receiver = createServer((req, res) => {
      void readBody(req).then((body) => {
        received.push({ headers: req.headers, body: body.toString('utf8') });
        res.writeHead(answers.shift() ?? 202);
        res.end('{"queued":true}');
      });
    });
    url = `http://localhost:${await listen(receiver, 0)}/hook`;
  });
  afterAll(async () => {
    await closeNow(receiver);
    await oro.close();
  });
  beforeEach(() => {
    received.length = 0;
  });

  it('posts {topic, eventData, timestamp, messageId} signed with HMAC-SHA256 of the body, with the Webhook-* headers', async () => {
    const hook = oro.webhooks.add({ notificationUrl: url, topic: 'task.updated', secret: 's3cret' });
    try {
      const task = oro.createTask('7', { subject: 'Call' }); // no webhook for task.created
      oro.editTask(task.id, { subject: 'Call back' });
      await oro.webhooks.settle();
      expect(received).toHaveLength(1);
      const [got] = received;
      const body = JSON.parse(got!.body) as Record<string, unknown>;
      expect(Object.keys(body)).toEqual(['topic', 'eventData', 'timestamp', 'messageId']);
      expect(body).toMatchObject({
        topic: 'task.updated',
        timestamp: Date.parse('2026-05-01T10:00:00Z') / 1000,
        eventData: {
          data: {
            type: 'tasks',
            id: task.id,
            attributes: { subject: 'Call back' },
            relationships: { owner: { data: { type: 'users', id: '7' } } },
          },
        },
      });
      expect(got!.headers['content-type']).toBe('application/json');
      expect(got!.headers['webhook-topic']).toBe('task.updated');
      expect(got!.headers['webhook-id']).toBe(body.messageId);
      expect(got!.headers['webhook-signature-algorithm']).toBe('HMAC-SHA256');
      expect(got!.headers['webhook-signature']).toBe(
        createHmac('sha256', 's3cret').update(got!.body).digest('hex'),
      );
    } finally {
      oro.webhooks.remove(hook.id);
    }
  });

  it('sends no signature without a secret; the thin format keeps type and id only', async () => {
    const hook = oro.webhooks.add({ notificationUrl: url, topic: 'task.created', format: 'thin' });
    try {
      const task = oro.createTask('7', { subject: 'Thin' });
      await oro.webhooks.settle();
      expect(received).toHaveLength(1);
      expect(received[0]!.headers['webhook-signature']).toBeUndefined();
      expect((JSON.parse(received[0]!.body) as { eventData: unknown }).eventData).toEqual({
        data: { type: 'tasks', id: task.id },
      });
    } finally {
      oro.webhooks.remove(hook.id);
    }
  });

  it('delivers a 429 or 5xx again with the same body; any other answer is final; deletions are not sent', async () => {
    const hook = oro.webhooks.add({ notificationUrl: url, topic: 'task.updated', secret: 'k' });
    const gone = oro.webhooks.add({ notificationUrl: url, topic: 'task.deleted', secret: 'k' });
    try {
      const task = oro.createTask('7', {});
      answers.push(503, 202);
      oro.editTask(task.id, { subject: 'retried' });
      await oro.webhooks.settle();
      expect(received).toHaveLength(2);
      expect(received[1]!.body).toBe(received[0]!.body);
      expect(oro.webhooks.deliveries().at(-1)).toMatchObject({ status: 202, attempts: 2 });
      received.length = 0;
      answers.push(400);
      oro.editTask(task.id, { subject: 'refused' });
      oro.deleteTask(task.id);
      await oro.webhooks.settle();
      expect(received).toHaveLength(1);
      expect(oro.webhooks.deliveries().at(-1)).toMatchObject({ status: 400, attempts: 1 });
    } finally {
      oro.webhooks.remove(hook.id);
      oro.webhooks.remove(gone.id);
    }
  });

  it('a calendar event names its calendar, and the calendar its owner in included', async () => {
    const hook = oro.webhooks.add({ notificationUrl: url, topic: 'calendarevent.created', secret: 'k' });
    try {
      const event = oro.calendar.createEvent('7', {
        title: 'Standup',
        start: '2026-05-02T09:00:00Z',
        end: '2026-05-02T09:15:00Z',
      });
      await oro.webhooks.settle();
      const body = JSON.parse(received[0]!.body) as Record<string, unknown>;
      const calendar = String(oro.calendar.defaultCalendar('7'));
      expect(body).toMatchObject({
        topic: 'calendarevent.created',
        eventData: {
          data: {
            type: 'calendarevents',
            id: String(event.id),
            relationships: { calendar: { data: { type: 'calendars', id: calendar } } },
          },
          included: [{ type: 'calendars', id: calendar, relationships: { owner: { data: { id: '7' } } } }],
        },
      });
    } finally {
      oro.webhooks.remove(hook.id);
    }
  });
});
