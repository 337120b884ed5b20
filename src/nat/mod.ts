/**
 * The rig's reachability and the consumer-facing task protocol: the libp2p
 * host (relay reservation, direct path by hole punching), the relay, and the
 * wire of task requests (schemas, size limits, EIP-712 signatures). The
 * decisions belong to src/agent through {@linkcode TaskRequestHandler}.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { canonicalJson } from "./mod.ts";
 * assert.equal(canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }] }), '{"a":[2,{"c":4,"d":3}],"b":1}');
 * ```
 *
 * @module
 */
export {
  type ActionArgs,
  actionArgsSchemas,
  ADMIN_ACTIONS,
  type AdminAction,
  canonicalJson,
  CONSUMER_ACTIONS,
  type ConsumerAction,
  type ConsumerTaskSpec,
  consumerTaskSpecSchema,
  FORWARD_PROTOCOL_ID,
  MAX_EXPIRY_AHEAD_SECONDS,
  MAX_REQUEST_BYTES,
  MAX_RESPONSE_BYTES,
  payloadHash,
  type ProtocolDomain,
  type ProtocolResponse,
  type RefusalCode,
  type RequestAction,
  type RequestEnvelope,
  requestEnvelopeSchema,
  RequestRefusedError,
  responseSchema,
  signRequest,
  type SignRequestParameters,
  TASK_PROTOCOL_ID,
  TASK_REQUEST_TYPES,
  type TaskRequestHandler,
  type TaskStatus,
  type VerifiedRequest,
  verifyRequest,
} from "./task_protocol.ts";
