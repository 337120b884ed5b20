/** One schema step of the agent's sqlite state. Applied once, in version order. */
export type Migration = {
  /** Strictly increasing, starting at 1, no gaps. */
  version: number;
  /** Short name, for logs and the schema_migrations table. */
  name: string;
  /** SQL run in one transaction. */
  sql: string;
};
