/**
 * Base64 for log chunks on the wire (binary-safe inside JSON).
 *
 * @module
 */
import { Buffer } from "node:buffer";

/** Bytes to base64. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** Base64 to bytes (lenient, as node's decoder is). */
export function decodeBase64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "base64"));
}
