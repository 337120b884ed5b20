/** Headers on every response: a strict CSP (files only, no inline code), no framing, no sniffing. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; "),
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-resource-policy": "same-origin",
  "cross-origin-opener-policy": "same-origin",
};

/** Whether an IP address (v4, v6 or v4-mapped v6) is a loopback address. */
export function isLoopbackAddress(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, "").toLowerCase();
  if (a === "::1") return true;
  const v4 = a.startsWith("::ffff:") ? a.slice(7) : a;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** Whether a Host header names this machine's loopback (DNS rebinding defence). */
export function isLoopbackHost(host: string): boolean {
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0]!;
  return name === "localhost" || isLoopbackAddress(name);
}

/** Compares two strings in time independent of where they differ. */
export function sameSecret(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/**
 * Why a state-changing request is refused, or undefined when it may go on:
 * it must come from the dashboard's own origin (Origin equal to the Host it
 * was sent to, and Sec-Fetch-Site same-origin when the browser sends it) and
 * carry the token from the data directory.
 */
export function refuseStateChange(request: Request, token: string): string | undefined {
  const host = request.headers.get("host") ?? URL.parse(request.url)?.host ?? "";
  const origin = request.headers.get("origin");
  if (origin === null) return "a state change needs an Origin header (it comes from the page)";
  const site = request.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin") {
    return `a state change must come from the dashboard's page: Sec-Fetch-Site is "${site}"`;
  }
  let originHost: string;
  try {
    const url = new URL(origin);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new TypeError("scheme");
    originHost = url.host;
  } catch {
    return `a state change came from an unusable origin "${origin}"`;
  }
  if (originHost !== host) {
    return `a state change must come from the dashboard's origin: got "${origin}" for host "${host}"`;
  }
  const given = request.headers.get("x-sonm-token") ?? "";
  if (given === "" || !sameSecret(given, token)) {
    return "a state change needs the token from the agent's data directory (dashboard.token)";
  }
  return undefined;
}
