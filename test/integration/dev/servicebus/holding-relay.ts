import net, { type AddressInfo } from 'node:net';

export interface HoldingRelay {
  port: number;
  /** A connection string through the relay, as the SDK takes it for a local emulator. */
  connectionString: string;
  /** From now on, what the emulator sends is kept back (what clients send still goes through). */
  hold(): void;
  /** Sends on what was kept back, in order, and stops holding. */
  release(): void;
  close(): Promise<void>;
}

/**
 * A TCP relay between SDK clients and the emulator that can keep back the emulator's frames
 * for a while: a client's frame and the emulator's then cross on the wire, as they do on a
 * busy network, which a test in one process otherwise only gets by chance.
 */
export async function startHoldingRelay(emulatorPort: number): Promise<HoldingRelay> {
  let holding = false;
  const held: (() => void)[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(emulatorPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      if (holding) {
        held.push(() => client.write(chunk));
      } else {
        client.write(chunk);
      }
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const socket of [client, upstream]) {
      socket.on('close', end);
      socket.on('error', end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    connectionString: `Endpoint=sb://localhost:${port};SharedAccessKeyName=local;SharedAccessKey=local;UseDevelopmentEmulator=true`,
    hold() {
      holding = true;
    },
    release() {
      holding = false;
      for (const send of held.splice(0)) {
        send();
      }
    },
    async close() {
      for (const socket of sockets) {
        socket.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
