import type { DockerClient } from "./client.ts";
import { parseImageReference } from "./_reference.ts";
import { jsonLines } from "./_streams.ts";
import {
  type DockerApiError,
  type DockerSocketError,
  DockerStreamError,
  type DockerTimeoutError,
  type DockerValidationError,
} from "./errors.ts";

/** Credentials for a private registry. */
export type RegistryAuth = {
  username: string;
  password: string;
  /** Registry host, e.g. `127.0.0.1:5000`; the reference's registry when left out. */
  serverAddress?: string | undefined;
};

/** One progress line of a pull. */
export type PullProgress = {
  status: string;
  /** Layer id, when the line is about a layer. */
  id?: string | undefined;
  current?: number | undefined;
  total?: number | undefined;
};

/** Parameters of {@linkcode pullImage}. */
export type PullImageParameters = {
  /** `[registry/]name[:tag][@sha256:...]`; `latest` when neither tag nor digest is given. */
  reference: string;
  auth?: RegistryAuth | undefined;
  /** Called for each progress line as it streams in. */
  onProgress?: ((p: PullProgress) => void) | undefined;
  signal?: AbortSignal | undefined;
};

/** What {@linkcode pullImage} returns. */
export type PullImageReturnType = {
  /** The digest that the registry reported (`sha256:...`), if it did. */
  digest: string | undefined;
  /** The last status line, e.g. `Status: Downloaded newer image for ...`. */
  status: string;
};

/** Errors of {@linkcode pullImage}. */
export type PullImageErrorType =
  | DockerApiError
  | DockerStreamError
  | DockerSocketError
  | DockerTimeoutError
  | DockerValidationError;

/**
 * Pulls an image (`POST /images/create`), with registry credentials if
 * given, streaming progress. An error that the daemon reports inside the
 * stream (bad credentials, unknown manifest) is thrown as `DockerStreamError`.
 *
 * @example
 * ```ts ignore
 * await pullImage(docker, {
 *   reference: "127.0.0.1:5000/sonm/app:1",
 *   auth: { username: "u", password: "p" },
 *   onProgress: (p) => log(p.status),
 * });
 * ```
 */
export async function pullImage(
  client: DockerClient,
  { reference, auth, onProgress, signal }: PullImageParameters,
): Promise<PullImageReturnType> {
  const ref = parseImageReference(reference, "reference");
  const headers: Record<string, string> = {};
  if (auth) headers["X-Registry-Auth"] = encodeRegistryAuth(auth, ref.registry);
  const res = await client.stream({
    method: "POST",
    path: "/images/create",
    query: { fromImage: ref.name, tag: ref.digest ?? ref.tag ?? "latest" },
    headers,
    signal,
  });
  let digest: string | undefined;
  let status = "";
  type Line = {
    status?: string;
    id?: string;
    error?: string;
    errorDetail?: { message?: string };
    progressDetail?: { current?: number; total?: number };
  };
  for await (const line of jsonLines<Line>(res.body, signal)) {
    if (line.error || line.errorDetail?.message) {
      throw new DockerStreamError({
        action: `pull "${reference}"`,
        daemonMessage: String(line.errorDetail?.message ?? line.error),
      });
    }
    if (line.status) {
      status = line.status;
      const m = /^Digest: (sha256:[0-9a-f]{64})/.exec(line.status);
      if (m) digest = m[1];
      onProgress?.({
        status: line.status,
        id: line.id,
        current: line.progressDetail?.current,
        total: line.progressDetail?.total,
      });
    }
  }
  signal?.throwIfAborted();
  return { digest, status };
}

/** Encodes credentials for the `X-Registry-Auth` header (base64url JSON). */
export function encodeRegistryAuth(auth: RegistryAuth, defaultServer: string): string {
  const json = JSON.stringify({
    username: auth.username,
    password: auth.password,
    serveraddress: auth.serverAddress ?? defaultServer,
  });
  const bytes = new TextEncoder().encode(json);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_");
}
