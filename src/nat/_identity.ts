/**
 * The host's persistent libp2p identity: an Ed25519 key in the data directory,
 * readable by the owner only (like an ssh host key).
 *
 * @module
 */
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import { NatError } from "./errors.ts";

/** File name of the peer key inside the data directory. */
export const PEER_KEY_FILE = "libp2p-peer.key";

/**
 * Loads the peer key at `path`, or creates it (mode 0600) when missing.
 * A key file that others can read is refused: the peer id is the rig's name.
 *
 * @throws {NatError} when the file is unreadable, malformed or too open
 */
export async function loadOrCreatePeerKey(path: string): Promise<PrivateKey> {
  let bytes: Uint8Array;
  try {
    const info = await Deno.stat(path);
    if (info.mode !== null && (info.mode & 0o077) !== 0) {
      throw new NatError(
        `peer key ${path} has mode ${(info.mode & 0o777).toString(8)}: run chmod 600 on it`,
      );
    }
    bytes = await Deno.readFile(path);
  } catch (cause) {
    if (!(cause instanceof Deno.errors.NotFound)) {
      if (cause instanceof NatError) throw cause;
      throw new NatError(`cannot read peer key ${path}: ${(cause as Error).message}`);
    }
    const key = await generateKeyPair("Ed25519");
    await Deno.writeFile(path, privateKeyToProtobuf(key), { mode: 0o600, createNew: true });
    await Deno.chmod(path, 0o600); // the umask may have narrowed or widened it
    return key;
  }
  try {
    return privateKeyFromProtobuf(bytes);
  } catch (cause) {
    throw new NatError(`peer key ${path} is malformed: ${(cause as Error).message}`);
  }
}
