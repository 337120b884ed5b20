/**
 * Errors of src/nat.
 *
 * @module
 */
import { AgentError } from "../errors.ts";

/** A failure of the libp2p host, the relay or the punch; the message says what was tried. */
export class NatError extends AgentError {
  override name = "NatError";
}
