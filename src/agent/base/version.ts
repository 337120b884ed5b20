/** The agent's version, reported by `--version`, logs and the state's run table. */
export const VERSION = "0.1.0";
