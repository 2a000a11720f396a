import { type AddressInfo, createServer } from 'node:net';

/** A port held by a bare TCP server on 127.0.0.1 (0: any free one) until `release()`. */
export async function holdPort(port = 0): Promise<{ port: number; release(): Promise<void> }> {
  const server = createServer();
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok());
  });
  return {
    port: (server.address() as AddressInfo).port,
    release: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/** Whether a listen on 127.0.0.1:`port` succeeds now (the probe closes again at once). */
export async function canListen(port: number): Promise<boolean> {
  try {
    await (await holdPort(port)).release();
    return true;
  } catch {
    return false;
  }
}
