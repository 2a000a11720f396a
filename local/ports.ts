import { readFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';

/**
 * Free TCP ports for servers that listen on them later: the stack once it is ready (server.ts
 * `reservePort`), DynamoDB Local once its JVM is up. Not what `listen(0)` gives: the OS takes that port from
 * the range it also gives the local ends of outgoing connections, so in the seconds before the real listen
 * any connection this machine opens (the stack's own, to DynamoDB Local) can take it, and the listen then
 * fails with EADDRINUSE. A port outside that range only an explicit listen can take.
 */

/** The lowest port chosen: well above the usual fixed ones (3000, 5432, 8080, 9000…). */
const LOWEST = 20_000;
const TRIES = 20;

/** The range the OS picks local ports of outgoing connections (and `listen(0)`) from. */
export function ephemeralPorts(): [low: number, high: number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (low && high && low <= high) return [low, high];
  } catch {
    // Not Linux.
  }
  return [49_152, 65_535]; // IANA's dynamic ports: macOS's and Windows' range
}

/**
 * A port on `host` nothing listens on now, outside the OS's ephemeral range (a few random tries); where
 * that range leaves no room, or every try is taken, one the OS picks.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [low, high] = ephemeralPorts();
  const [from, to] = low - 1 >= LOWEST + 1_000 ? [LOWEST, low - 1] : [high + 1, 65_535];
  if (to - from >= 1_000) {
    for (let i = 0; i < TRIES; i++) {
      const port = from + Math.floor(Math.random() * (to - from + 1));
      if (await isFree(port, host)) return port;
    }
  }
  return anyPort(host);
}

function isFree(port: number, host: string): Promise<boolean> {
  return new Promise((ok) => {
    const probe = createServer();
    probe.once('error', () => ok(false));
    probe.listen(port, host, () => probe.close(() => ok(true)));
  });
}

function anyPort(host: string): Promise<number> {
  return new Promise((ok, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, host, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => ok(port));
    });
  });
}
