import type { AddressInfo } from 'node:net';
import { create_container, type Connection } from 'rhea';
import { handleDeliveries } from './deliveries';
import { createDispatcher } from './dispatch';
import { handleLinks } from './links';
import { createNamespace, type DeadLetteredMessage, type QueueCounts } from './namespace';
import type { QueueOptions } from './queue-store';
import type { Authorize } from './requests';

export type { QueueOptions } from './queue-store';
export type { DeadLetteredMessage, QueueCounts } from './namespace';

export interface ServiceBusEmulator {
  connectionString: string;
  /** `localhost:<port>`: what a client with a token credential connects to (TLS listeners only). */
  fullyQualifiedNamespace: string;
  port: number;
  /** Messages per state, for tests. */
  counts(queue: string): QueueCounts;
  deadLettered(queue: string): DeadLetteredMessage[];
  /** Messages senders handed over (duplicates included), duplicates dropped, and transfers (a batch is one). */
  sent(queue: string): { accepted: number; duplicatesDropped: number; transfers: number };
  close(): Promise<void>;
}

/**
 * A Service Bus namespace in memory, speaking AMQP 1.0 to the unmodified @azure/service-bus
 * SDK over plain TCP: CBS, queues with peek-lock, sessions, scheduling, duplicate detection and
 * dead-lettering. No TLS and no real authentication: a local stand-in only.
 * The parts: the queues' state (namespace.ts, queue-store.ts), handing messages to receivers
 * and the timer (dispatch.ts), link attach and detach (links.ts), transfers and settlement
 * (deliveries.ts), the $cbs and $management request nodes (requests.ts, management.ts).
 */
export async function startServiceBusEmulator(options: {
  port?: number;
  queues: QueueOptions[];
  /**
   * TLS on the listener, as on Azure (port 5671). The SDK speaks plain TCP only to a
   * connection string with UseDevelopmentEmulator=true; a client built from a host name and
   * a token credential always uses TLS, so testing that path needs this.
   */
  tls?: { key: string; cert: string };
  /**
   * Judges each token a client puts on the CBS node (`type` "jwt" for an Entra ID token,
   * "servicebus.windows.net:sastoken" for SAS; `audience` is the entity URI it is for).
   * Without it every token is accepted: the emulator has no identities of its own.
   */
  authorize?: Authorize;
}): Promise<ServiceBusEmulator> {
  const now = () => Date.now();
  const ns = createNamespace(options.queues, now);
  const dispatcher = createDispatcher(ns, now);
  const connections = new Set<Connection>();

  const container = create_container({
    id: 'servicebus-emulator',
    // Settlement outcomes are told apart here: modified with undeliverable-here means defer.
    sender_options: { treat_modified_as_released: false },
    receiver_options: { autoaccept: false, credit_window: 500 },
  });
  handleLinks(container, ns, dispatcher, connections, now);
  handleDeliveries(container, ns, dispatcher, now, options.authorize);
  container.on('error', () => {
    // An error a client states when it detaches or disconnects concerns that client only; the
    // handlers above already gave its locks back, and the emulator carries on for the others.
  });

  const server = container.listen({
    port: options.port ?? 0,
    host: '127.0.0.1',
    ...(options.tls ? { transport: 'tls', key: options.tls.key, cert: options.tls.cert } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    if (server.listening) {
      resolve();
    }
    server.once('listening', () => resolve());
    server.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    // UseDevelopmentEmulator is what makes the SDK speak plain TCP.
    connectionString: `Endpoint=sb://localhost:${port};SharedAccessKeyName=local;SharedAccessKey=local${options.tls ? '' : ';UseDevelopmentEmulator=true'}`,
    fullyQualifiedNamespace: `localhost:${port}`,
    counts: ns.counts,
    deadLettered: ns.deadLettered,
    sent: ns.sent,
    async close() {
      dispatcher.stop();
      for (const c of connections) {
        c.close();
      }
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Sockets still open after the close handshake are dropped, so close() never waits on a client.
        setTimeout(() => {
          for (const c of connections) {
            (c as unknown as { socket?: { destroy(): void } }).socket?.destroy();
          }
        }, 200).unref();
      });
    },
  };
}
