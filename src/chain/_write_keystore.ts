import { dirname } from "node:path";
import type { KeystoreV3 } from "./encrypt_keystore.ts";
import { KeystoreFormatError } from "./errors.ts";

/**
 * Writes a keystore document with mode 0600: to a temporary file beside the
 * target first, then renamed over it, so a crash never leaves half a key.
 * Refuses to replace an existing file unless `overwrite`.
 */
export async function writeKeystore(
  path: string,
  document: KeystoreV3,
  overwrite: boolean,
  signal?: AbortSignal,
): Promise<void> {
  signal?.throwIfAborted();
  if (!overwrite) {
    try {
      await Deno.lstat(path);
      throw new KeystoreFormatError({
        path,
        detail: "file already exists: refusing to replace it",
      });
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${globalThis.crypto.randomUUID()}.tmp`;
  try {
    await Deno.writeTextFile(tmp, JSON.stringify(document, null, 2) + "\n", {
      mode: 0o600,
      createNew: true,
      ...(signal === undefined ? {} : { signal }),
    });
    await Deno.chmod(tmp, 0o600);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}
