/**
 * Opens the gateway's XR socket as a browser does (docs/xr.md, "Opening the socket"): a
 * single-use ticket from `POST /api/v1/xr/session` with the bearer token (asked again once
 * when the gateway answers 401), then `new WebSocket(url, ["inference.xr.v1", "ticket." + t])`.
 */
import type { XrDownlinkFrame, XrUplinkFrame } from '../../docs/xr-frames.d.ts';

export type { XrDownlinkFrame, XrUplinkFrame };

const PROTOCOL = 'inference.xr.v1';

export interface XrSocket {
  send(frame: XrUplinkFrame): void;
  close(): void;
}

export async function openXrSocket(options: {
  baseUrl: string;
  token: (why: 'initial' | 'expired') => Promise<string>;
  onFrame: (frame: XrDownlinkFrame) => void;
  onClose: (code: number) => void;
}): Promise<XrSocket> {
  const ticket = async (why: 'initial' | 'expired'): Promise<Response> =>
    fetch(`${options.baseUrl}/api/v1/xr/session`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await options.token(why)}`,
        'x-request-id': crypto.randomUUID(),
      },
    });
  let issued = await ticket('initial');
  if (issued.status === 401) issued = await ticket('expired');
  if (!issued.ok) throw new Error(`no XR ticket (${issued.status})`);
  const { ticket: secret, url } = (await issued.json()) as { ticket: string; url: string };
  const socket = new WebSocket(`${options.baseUrl.replace(/^http/, 'ws')}${url}`, [
    PROTOCOL,
    `ticket.${secret}`,
  ]);
  socket.addEventListener('message', (event: MessageEvent<string>) => {
    options.onFrame(JSON.parse(event.data) as XrDownlinkFrame);
  });
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener(
      'open',
      () => {
        resolve();
      },
      { once: true },
    );
    socket.addEventListener(
      'error',
      () => {
        reject(new Error('the XR socket was refused'));
      },
      { once: true },
    );
  });
  socket.addEventListener(
    'close',
    (event) => {
      options.onClose(event.code);
    },
    { once: true },
  );
  return {
    send: (frame) => {
      socket.send(JSON.stringify(frame));
    },
    close: () => {
      socket.close(1000);
    },
  };
}
