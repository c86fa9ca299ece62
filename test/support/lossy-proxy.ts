/**
 * A TCP proxy in front of a real redis-server that can lose one answer: the command reaches Redis
 * and runs, then the connection drops before the reply gets back, as on a flaky network. ioredis
 * reconnects and sends the unanswered command again, so the same script runs twice.
 */
import net from 'node:net';

export interface LossyProxy {
  port: number;
  /**
   * The reply to the next command whose request matches `command` (e.g. /\r\nevalsha\r\n/i)
   * is swallowed and the client's connection cut. Resolves once that happened.
   */
  loseReplyTo(command: RegExp): Promise<void>;
  close(): Promise<void>;
}

export async function lossyProxy(target: { host: string; port: number }): Promise<LossyProxy> {
  let armed: { command: RegExp; lost: () => void } | null = null;
  let dropping: (() => void) | null = null;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target);
    sockets.add(client).add(upstream);
    client.on('data', (chunk: Buffer) => {
      // Commands are awaited one at a time here: the next data from Redis is this one's reply.
      if (armed && armed.command.test(chunk.toString('latin1'))) {
        dropping = armed.lost;
        armed = null;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (dropping) {
        const lost = dropping;
        dropping = null;
        client.destroy();
        upstream.destroy();
        lost();
        return;
      }
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    loseReplyTo: (command) => new Promise<void>((resolve) => (armed = { command, lost: resolve })),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
