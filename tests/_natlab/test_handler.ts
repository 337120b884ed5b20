/**
 * A small task handler for the lab: the wire is what the lab tests, not the
 * agent's decisions. It honours requests signed by the one consumer it is
 * given and refuses everyone else, as the real handler does for a deal.
 */
import {
  type AdminAction,
  RequestRefusedError,
  type TaskRequestHandler,
  type TaskStatus,
  type VerifiedRequest,
} from "../../src/nat/mod.ts";

/** Bytes the `logs` action streams: `size` deterministic bytes (i -> i*31 mod 251). */
export function logBytes(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31) % 251;
  return out;
}

export function createTestHandler(options: {
  consumer: string;
  /** The one administrative account: may read status, nothing else. */
  admin: string;
  logSize: number;
  forwardTo: { hostname: string; port: number };
}): TaskRequestHandler & { seen: number } {
  const authorize = (request: VerifiedRequest) => {
    if (request.signer.toLowerCase() !== options.consumer.toLowerCase()) {
      throw new RequestRefusedError(
        "not-authorized",
        `${request.signer} is not this deal's consumer`,
      );
    }
    handler.seen += 1;
  };
  const status = (request: VerifiedRequest): TaskStatus => ({
    dealId: request.dealId.toString(),
    taskId: `task-${request.dealId}`,
    image: "lab",
    state: "running",
    ports: [{ containerPort: 8080, protocol: "tcp" }],
  });
  const logs = logBytes(options.logSize);
  const handler = {
    seen: 0,
    submit: (request: VerifiedRequest<"submit">) => {
      authorize(request);
      return Promise.resolve({ ...status(request), image: request.args.spec.image });
    },
    status: (request: VerifiedRequest<"status">) => {
      authorize(request);
      return Promise.resolve(status(request));
    },
    stop: (request: VerifiedRequest<"stop">) => {
      authorize(request);
      return Promise.resolve({ ...status(request), state: "stopped" as const });
    },
    async *logs(request: VerifiedRequest<"logs">) {
      authorize(request);
      for (let at = 0; at < logs.byteLength; at += 64 * 1024) {
        yield logs.subarray(at, at + 64 * 1024);
      }
    },
    forward: (request: VerifiedRequest<"forward">) => {
      authorize(request);
      return Promise.resolve(options.forwardTo);
    },
    report: (request: VerifiedRequest<"report">) => {
      authorize(request);
      return Promise.reject(new RequestRefusedError("unavailable", "no bench report"));
    },
    exec: (request: VerifiedRequest<"exec">) => {
      authorize(request);
      return Promise.reject(new RequestRefusedError("unknown-task", "the lab runs no container"));
    },
    admin: (request: VerifiedRequest<AdminAction>) => {
      if (request.signer.toLowerCase() !== options.admin.toLowerCase()) {
        throw new RequestRefusedError(
          "not-authorized",
          `${request.signer} is no admin of this rig`,
        );
      }
      if (request.action !== "admin.status") {
        throw new RequestRefusedError(
          "not-authorized",
          `admins of this rig may not ${request.action}`,
        );
      }
      return Promise.resolve({ plans: [{ name: "lab", paused: false }], tasks: 1 });
    },
  };
  return handler;
}
