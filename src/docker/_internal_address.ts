/**
 * Private: whether a registry's host is on the rig's own network (loopback,
 * link-local, private, shared or unspecified addresses, and `localhost`), so
 * a consumer cannot make the rig's dockerd connect to it.
 *
 * @module
 */

// IPv4 ranges as [first octets, prefix length]: 0/8, 10/8, 100.64/10 (carrier NAT),
// 127/8, 169.254/16, 172.16/12, 192.168/16, and 192.0.0/24 (protocol assignments)
const V4_INTERNAL: readonly [readonly number[], number][] = [
  [[0], 8],
  [[10], 8],
  [[100, 64], 10],
  [[127], 8],
  [[169, 254], 16],
  [[172, 16], 12],
  [[192, 168], 16],
  [[192, 0, 0], 24],
];

/**
 * Whether an IP address (v4, v6, v4-mapped v6) is internal; undefined when
 * `address` is no IP literal.
 */
export function isInternalAddress(address: string): boolean | undefined {
  const a = address.replace(/^\[|\]$/g, "").toLowerCase();
  const v4 = parseV4(a.startsWith("::ffff:") ? a.slice(7) : a);
  if (v4 !== undefined) {
    return V4_INTERNAL.some(([prefix, bits]) => inPrefix(v4, prefix, bits));
  }
  const v6 = parseV6(a);
  if (v6 === undefined) return undefined;
  if (v6.every((g) => g === 0)) return true; // ::
  if (v6.slice(0, 7).every((g) => g === 0) && v6[7] === 1) return true; // ::1
  const first = v6[0]!;
  if ((first & 0xffc0) === 0xfe80) return true; // fe80::/10 link-local
  if ((first & 0xfe00) === 0xfc00) return true; // fc00::/7 unique local
  if ((first & 0xffc0) === 0xfec0) return true; // fec0::/10 site-local (deprecated, still routed)
  // ::ffff:a.b.c.d written in hex groups (::ffff:7f00:1)
  if (v6.slice(0, 5).every((g) => g === 0) && v6[5] === 0xffff) {
    return isInternalAddress(v4FromGroups(v6[6]!, v6[7]!));
  }
  return false;
}

/**
 * Whether a registry host (`name[:port]` or `[v6]:port`) is internal by its
 * spelling alone: true for internal IP literals and `localhost` names, false
 * for other IP literals, undefined for a name that must be resolved to tell.
 */
export function isInternalHostLiteral(host: string): boolean | undefined {
  const name = hostName(host).toLowerCase().replace(/\.$/, "");
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  return isInternalAddress(name);
}

/** The host of `host[:port]` without the port (and without brackets for v6). */
export function hostName(host: string): string {
  if (host.startsWith("[")) return host.slice(1, Math.max(1, host.indexOf("]")));
  const colon = host.lastIndexOf(":");
  return colon >= 0 && host.indexOf(":") === colon ? host.slice(0, colon) : host;
}

function parseV4(a: string): number[] | undefined {
  const m = a.match(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/);
  if (m === null) return undefined;
  const octets = m.slice(1).map(Number);
  return octets.every((o) => o <= 255) ? octets : undefined;
}

function inPrefix(octets: number[], prefix: readonly number[], bits: number): boolean {
  for (let i = 0; i < 4 && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((octets[i]! & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

function parseV6(a: string): number[] | undefined {
  if (!/^[0-9a-f:.]+$/.test(a) || !a.includes(":")) return undefined;
  let tail: number[] = [];
  let text = a;
  const lastColon = a.lastIndexOf(":");
  if (a.slice(lastColon + 1).includes(".")) {
    const v4 = parseV4(a.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    text = a.slice(0, lastColon + 1) + "0";
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const want = 8 - (tail.length > 0 ? 1 : 0);
  const fill = halves.length === 2 ? want - head.length - rest.length : 0;
  if (fill < 0 || (halves.length === 1 && head.length !== want)) return undefined;
  const all = [...head, ...Array(fill).fill("0"), ...rest];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  const values = all.map((g) => parseInt(g, 16));
  if (tail.length > 0) values.splice(values.length - 1, 1, ...tail);
  return values.length === 8 ? values : undefined;
}

function v4FromGroups(hi: number, lo: number): string {
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}
