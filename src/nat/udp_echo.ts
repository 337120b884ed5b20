/**
 * The relay's small UDP echo service, and the probe that uses it: a socket
 * that asks two echo ports for its mapping learns whether its NAT maps one
 * socket to one public port (cone: punchable) or one port per destination
 * (symmetric: relay only). The relay host runs the service on two ports.
 *
 * @module
 */
import dgram from "node:dgram";
import { networkInterfaces } from "node:os";
import { z } from "zod";

/** Default UDP ports of the echo service. */
export const DEFAULT_ECHO_PORTS = [3478, 3479] as const;
/** Requests are padded to this size and replies never exceed it (no amplification). */
export const ECHO_REQUEST_BYTES = 96;

const replySchema = z.strictObject({
  token: z.string().max(32),
  address: z.string().max(64),
  port: z.number().int().min(1).max(65535),
});

/** A running echo service. */
export type UdpEchoService = { ports: number[]; close(): Promise<void> };

/**
 * Starts the echo service: each datagram of exactly {@linkcode ECHO_REQUEST_BYTES}
 * bytes is answered with the address and port it came from.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { probeMapping, startUdpEcho } from "./udp_echo.ts";
 * const echo = await startUdpEcho({ hostname: "127.0.0.1", ports: [0, 0] });
 * const mapping = await probeMapping({ hostname: "127.0.0.1", ports: echo.ports });
 * assert.equal(mapping.class, "public");
 * await echo.close();
 * ```
 */
export async function startUdpEcho(
  options: { hostname: string; ports: readonly number[] },
): Promise<UdpEchoService> {
  const sockets = await Promise.all(
    options.ports.map((port) =>
      new Promise<dgram.Socket>((resolve, reject) => {
        const socket = dgram.createSocket("udp4");
        socket.once("error", reject);
        socket.on("message", (message, remote) => {
          if (message.byteLength !== ECHO_REQUEST_BYTES) return;
          const token = message.subarray(0, 32).toString("utf8").replace(/\0+$/, "");
          const reply = JSON.stringify({ token, address: remote.address, port: remote.port });
          socket.send(reply, remote.port, remote.address);
        });
        socket.bind(port, options.hostname, () => {
          socket.off("error", reject);
          socket.on("error", () => {}); // a send to a vanished peer must not kill the relay
          resolve(socket);
        });
      })
    ),
  );
  return {
    ports: sockets.map((s) => s.address().port),
    close: () =>
      Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => {}),
  };
}

/** The public side of a UDP socket as the echo service saw it. */
export type Mapping = { address: string; port: number };

/** What the probe found. */
export type MappingProbe =
  | { class: "public" | "cone"; mapping: Mapping }
  | { class: "symmetric"; mappings: Mapping[] }
  | { class: "udp-blocked"; tried: string[] };

function localAddresses(): Set<string> {
  return new Set(
    Object.values(networkInterfaces()).flat().map((i) => i?.address).filter((a) => a !== undefined),
  );
}

/**
 * Asks each echo port (from one socket) for the socket's mapping and
 * classifies the NAT. With `socket` given, probes that socket (the punch
 * learns the mapping of the port it will listen on); otherwise a fresh one.
 */
export async function probeMapping(options: {
  hostname: string;
  ports: readonly number[];
  socket?: dgram.Socket;
  timeoutMs?: number;
  attempts?: number;
}): Promise<MappingProbe> {
  const socket = options.socket ?? await bindUdp(0);
  const timeoutMs = options.timeoutMs ?? 400;
  const mappings: Mapping[] = [];
  const localPort = socket.address().port;
  try {
    for (const port of options.ports) {
      const mapping = await askEcho(
        socket,
        options.hostname,
        port,
        timeoutMs,
        options.attempts ?? 3,
      );
      if (mapping !== undefined) mappings.push(mapping);
    }
  } finally {
    if (options.socket === undefined) socket.close();
  }
  const first = mappings[0];
  if (first === undefined) {
    return {
      class: "udp-blocked",
      tried: options.ports.map((p) => `${options.hostname}:${p}/udp`),
    };
  }
  if (mappings.some((m) => m.address !== first.address || m.port !== first.port)) {
    return { class: "symmetric", mappings };
  }
  const isPublic = localAddresses().has(first.address) && localPort === first.port;
  return { class: isPublic ? "public" : "cone", mapping: first };
}

/** Binds a UDP socket on all interfaces (`port` 0: any free port). */
export function bindUdp(port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket("udp4");
    socket.once("error", reject);
    socket.bind(port, () => {
      socket.off("error", reject);
      socket.on("error", () => {});
      resolve(socket);
    });
  });
}

function askEcho(
  socket: dgram.Socket,
  hostname: string,
  port: number,
  timeoutMs: number,
  attempts: number,
): Promise<Mapping | undefined> {
  const token = crypto.randomUUID().replaceAll("-", "");
  const request = new Uint8Array(ECHO_REQUEST_BYTES);
  request.set(new TextEncoder().encode(token));
  return new Promise((resolve) => {
    let tries = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (mapping: Mapping | undefined) => {
      clearTimeout(timer);
      socket.off("message", onMessage);
      resolve(mapping);
    };
    const onMessage = (message: Uint8Array) => {
      const parsed = replySchema.safeParse(safeJson(message));
      if (parsed.success && parsed.data.token === token) {
        finish({ address: parsed.data.address, port: parsed.data.port });
      }
    };
    const send = () => {
      if (tries++ >= attempts) return finish(undefined);
      socket.send(request, port, hostname);
      timer = setTimeout(send, timeoutMs);
    };
    socket.on("message", onMessage);
    send();
  });
}

function safeJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}
