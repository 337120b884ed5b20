/**
 * Private: validated ids and the names derived from them.
 *
 * @module
 */
import { DockerValidationError } from "./errors.ts";

const ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;

/** Checks an agent, deal or task id (used in Docker object names). */
export function checkId(field: string, value: unknown): string {
  if (typeof value !== "string" || !ID.test(value)) {
    throw new DockerValidationError({
      what: "task identity",
      field,
      value,
      detail: "must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit",
    });
  }
  return value;
}

/** Name of a deal's bridge network. */
export function networkName(agentId: string, dealId: string): string {
  return `sonm-${agentId}-deal-${dealId}`;
}

/** Name of a deal's scratch volume. */
export function volumeName(agentId: string, dealId: string): string {
  return `sonm-${agentId}-deal-${dealId}-scratch`;
}

/** Name of a task's container. */
export function containerName(agentId: string, dealId: string, taskId: string): string {
  return `sonm-${agentId}-deal-${dealId}-task-${taskId}`;
}
