/**
 * Fixed numbers of the market's money model.
 *
 * @module
 */

/** Prices and oracle rates are fixed point with 18 decimals (USD x 1e18, token x 1e18). */
export const WAD = 10n ** 18n;

/** The token has 18 decimals. */
export const TOKEN_DECIMALS = 18;

/** Seconds per hour: prices are stored per second and shown per hour. */
export const SECONDS_PER_HOUR = 3600n;
