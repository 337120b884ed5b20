/**
 * Joins a libp2p stream and a TCP connection both ways (port forwarding).
 *
 * @module
 */
import type { Stream } from "@libp2p/interface";
import { sendBytes } from "./_framing.ts";

/**
 * Copies `fromStream` (the stream's bytes, after any frames already read) to
 * `conn`, and `conn` to `stream`, until either side ends; then closes both.
 */
export async function pipeStreamAndConn(
  stream: Stream,
  fromStream: AsyncIterable<Uint8Array>,
  conn: Deno.Conn,
): Promise<void> {
  let failed = false;
  const fail = () => {
    if (failed) return;
    failed = true; // one side broke: end both, so the other copy stops too
    stream.abort(new Error("forwarded connection failed"));
    try {
      conn.close();
    } catch { /* already closed */ }
  };
  const toConn = (async () => {
    for await (const chunk of fromStream) await writeAll(conn, chunk);
    await conn.closeWrite();
  })().catch(fail);
  const toStream = (async () => {
    const buffer = new Uint8Array(64 * 1024);
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      await sendBytes(stream, buffer.slice(0, n));
    }
    await stream.close();
  })().catch(fail);
  await Promise.all([toConn, toStream]);
  if (!failed) {
    try {
      conn.close();
    } catch { /* already closed */ }
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.byteLength) written += await conn.write(bytes.subarray(written));
}
