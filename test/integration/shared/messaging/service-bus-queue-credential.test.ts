import { ServiceBusClient } from '@azure/service-bus';
import { devCertificate, trustInThisProcess } from '../../../../dev/microsoft/certificate';
import { startServiceBusEmulator, type ServiceBusEmulator } from '../../../../dev/servicebus';
import { serviceBusConnection } from '../../../../shared/app/azure-credential';
import { AppError } from '../../../../shared/errors/app-error';
import { QUEUES } from '../../../../shared/messaging/messages';
import { createServiceBusQueue } from '../../../../shared/messaging/service-bus-queue';
import { drainSession } from '../../../support/service-bus';
import { testIdentity, type TestIdentity } from '../../../support/token-credential';

// The SyncQueue on an identity-based connection, as deployed (SERVICEBUS_CONNECTION__
// fullyQualifiedNamespace + a managed identity): the SDK connects over TLS by host name and
// puts an Entra ID JWT on the CBS node (type "jwt", audience the entity's sb:// URI). The
// local emulator here runs TLS and checks each token it is given: signature, audience and
// expiry, as the service does.

const identity: TestIdentity = testIdentity();
const seen: Array<{ type: string; audience: string; aud: unknown }> = [];
let emulator: ServiceBusEmulator;

beforeAll(async () => {
  const certificate = await devCertificate();
  trustInThisProcess(certificate.cert);
  emulator = await startServiceBusEmulator({
    tls: certificate,
    queues: Object.values(QUEUES).map((name) => ({
      name,
      requiresSession: true,
      duplicateDetectionWindowMs: 60_000,
    })),
    authorize: ({ type, audience, token }) => {
      const claims = type === 'jwt' ? identity.verify(token) : undefined;
      seen.push({ type, audience, aud: claims?.aud });
      return (
        claims !== undefined &&
        claims.aud === 'https://servicebus.azure.net' &&
        typeof claims.exp === 'number' &&
        claims.exp * 1000 > Date.now() &&
        audience.startsWith(`sb://${emulator.fullyQualifiedNamespace}/`)
      );
    },
  });
});

afterAll(async () => {
  await emulator?.close();
});

const message = (userId: string) => ({
  body: { userId, entity: 'tasks' as const, reason: 'manual' as const, requestedAt: '2026-11-24T10:00:00Z' },
  messageId: `manual:${userId}:tasks:a`,
});

it('sends and receives with a token credential: a JWT for Service Bus on CBS, no key anywhere', async () => {
  const queue = createServiceBusQueue({
    fullyQualifiedNamespace: emulator.fullyQualifiedNamespace,
    credential: identity.credential,
  });
  const client = new ServiceBusClient(emulator.fullyQualifiedNamespace, identity.credential);
  try {
    await queue.send([message('301')]);
    await queue.ping();
    const got = await drainSession(client, QUEUES.tasks, '301');
    expect(got.map((m) => m.body as unknown)).toEqual([message('301').body]);
  } finally {
    await queue.close();
    await client.close();
  }
  // Service Bus's resource scope, and only JWTs for the sync queue's entity URIs.
  expect(identity.requested.flat()).toContain('https://servicebus.azure.net//.default');
  expect(seen.length).toBeGreaterThan(0);
  expect(seen.every((s) => s.type === 'jwt' && s.aud === 'https://servicebus.azure.net')).toBe(true);
  expect(seen.map((s) => s.audience)).toContain(`sb://${emulator.fullyQualifiedNamespace}/${QUEUES.tasks}`);
});

it('fails as a dependency error, sending nothing, when the token is refused', async () => {
  const stranger = testIdentity(); // signs with another key: the emulator does not know it
  // The SDK retries an unauthorized put-token (about 90 s with its defaults): once is enough here.
  const queue = createServiceBusQueue(
    { fullyQualifiedNamespace: emulator.fullyQualifiedNamespace, credential: stranger.credential },
    { retryOptions: { maxRetries: 0, timeoutInMs: 5_000 } },
  );
  try {
    const sent = queue.send([message('302')]);
    await expect(sent).rejects.toBeInstanceOf(AppError);
    await expect(sent).rejects.toMatchObject({ code: 'dependency-unavailable' });
  } finally {
    await queue.close();
  }
  expect(emulator.sent(QUEUES.tasks).accepted).toBe(1); // the first test's message only
});

it('the composition builds a managed-identity client from the config, without a connection string', () => {
  const connection = serviceBusConnection({
    fullyQualifiedNamespace: 'sb-orosync.servicebus.windows.net',
    credential: { kind: 'managed-identity', clientId: 'c1c1c1c1-0000-4000-8000-000000000001' },
  });
  expect(typeof connection).toBe('object');
  expect(connection).toMatchObject({ fullyQualifiedNamespace: 'sb-orosync.servicebus.windows.net' });
  expect((connection as { credential: object }).credential.constructor.name).toBe(
    'ManagedIdentityCredential',
  );
});
