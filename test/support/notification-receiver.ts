/** A local endpoint that records signed notifications, checking each signature as a receiver would. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuthenticationNotification } from '../../src/notify/notification';
import { SIGNATURE_HEADER } from '../../src/notify/notifier';

export interface NotificationReceiver {
  url: string;
  received: AuthenticationNotification[];
  rejected: number;
  close(): Promise<void>;
}

export async function startNotificationReceiver(secret: string): Promise<NotificationReceiver> {
  const receiver: Omit<NotificationReceiver, 'url' | 'close'> = { received: [], rejected: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = String(req.headers[SIGNATURE_HEADER.toLowerCase()] ?? '');
      const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header) ?? [];
      const expected = t ? createHmac('sha256', secret).update(`${t}.${body}`).digest('hex') : '';
      if (!v1 || !timingSafeEqual(Buffer.from(v1), Buffer.from(expected))) {
        receiver.rejected += 1;
        res.writeHead(400).end();
        return;
      }
      receiver.received.push(JSON.parse(body) as AuthenticationNotification);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/notifications`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
