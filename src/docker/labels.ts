/**
 * Labels that the task runtime puts on every container, network and volume
 * it creates, so that the agent finds its objects after a restart.
 *
 * @module
 */

/** The deal id (decimal). */
export const LABEL_DEAL = "sonm.deal";
/** The task id within the deal. */
export const LABEL_TASK = "sonm.task";
/** The agent instance (one rig may run several). */
export const LABEL_AGENT = "sonm.agent";
/** The image reference the task asked for. */
export const LABEL_IMAGE = "sonm.image";
/** The registry digest the reference resolved to. */
export const LABEL_DIGEST = "sonm.digest";
