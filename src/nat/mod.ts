/**
 * The rig's reachability and the consumer-facing task protocol: the libp2p
 * host (relay reservation, direct path by hole punching), the relay, and the
 * wire of task requests (schemas, size limits, EIP-712 signatures). The
 * decisions belong to src/agent through {@linkcode TaskRequestHandler}.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { payloadHash } from "./mod.ts";
 * // a request's arguments hash the same whatever the order of their keys
 * assert.equal(payloadHash({ b: 1, a: 2 }), payloadHash({ a: 2, b: 1 }));
 * ```
 *
 * @module
 */
export {
  type ActionArgs,
  actionArgsSchemas,
  ADMIN_ACTIONS,
  type AdminAction,
  CONSUMER_ACTIONS,
  type ConsumerAction,
  type ConsumerTaskSpec,
  consumerTaskSpecSchema,
  EXEC_PROTOCOL_ID,
  type ExecSession,
  FORWARD_PROTOCOL_ID,
  MAX_EXPIRY_AHEAD_SECONDS,
  MAX_LOG_FRAME_BYTES,
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
export { NatError } from "./errors.ts";
export {
  decodeExecFrame,
  encodeExecFrame,
  EXEC_WINDOW_BYTES,
  ExecCredit,
  type ExecFrame,
  ExecFrameError,
  ExecInbox,
  MAX_EXEC_DATA_BYTES,
  MAX_EXEC_ERROR_BYTES,
  MAX_EXEC_FRAME_BYTES,
  MAX_TERMINAL_CELLS,
  readExecFrames,
} from "./exec_frames.ts";
export { type ExecChannel, openExec } from "./exec_client.ts";
export { loadOrCreatePeerKey, PEER_KEY_FILE } from "./_identity.ts";
export {
  createNatHost,
  type CreateNatHostOptions,
  DEFAULT_LISTEN,
  type NatHost,
  type NatNode,
} from "./host.ts";
export { type ConnectivityClass, diagnose, type NatStatus, type RelayState } from "./status.ts";
export { type Relay, type RelayLimits, relayLimitsSchema, startRelay } from "./relay.ts";
export { DEFAULT_ECHO_PORTS, probeMapping, startUdpEcho } from "./udp_echo.ts";
export {
  LOG_FRAME_BYTES,
  serveTaskProtocol,
  type ServeTaskProtocolOptions,
} from "./task_server.ts";
export {
  followTaskLogs,
  forwardPort,
  type PortForward,
  sendRawFrame,
  sendRawRequest,
  sendTaskRequest,
} from "./task_client.ts";
export {
  isPunchable,
  isRelayed,
  PUNCH_PROTOCOL_ID,
  type PunchOutcome,
  requestPunch,
  servePunch,
} from "./punch.ts";
export { connectToRig, type ConnectToRigOptions, type RigConnection } from "./connect.ts";
export {
  type DispatchResult,
  dispatchTaskRequest,
  type DispatchTaskRequestOptions,
} from "./dispatch_task_request.ts";
export {
  decodeRigRecord,
  encodeRigRecord,
  MAX_RIG_RECORD_AHEAD_SECONDS,
  MAX_RIG_RECORD_BYTES,
  RIG_RECORD_PROTOCOL_ID,
  RigIdentityError,
  type RigIdentityProblem,
  type RigRecord,
  RigRecordFormatError,
  rigRecordKey,
  rigRecordMessage,
  type RigRecordSigner,
  selectRigRecord,
  type SignedRigRecord,
  signRigRecord,
  validateRigRecordEntry,
  verifyRigRecord,
  type VerifyRigRecordOptions,
} from "./rig_record.ts";
export {
  fetchRigRecord,
  findRigRecord,
  type FindRigRecordOptions,
  publishRigRecord,
  RIG_DHT_PROTOCOL_ID,
  rigDirectoryService,
} from "./rig_directory.ts";
export {
  recordAddrs,
  type RigPublisher,
  startRigPublisher,
  type StartRigPublisherOptions,
} from "./rig_publisher.ts";
