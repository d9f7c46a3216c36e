/**
 * The caller's address as a throttling key: IPv4 as it is, IPv6 as its /64 (a subscriber gets
 * a whole /64, so rotating the interface id must not make a new caller). Bounded, since it
 * becomes a rate-limit key; anything unparseable shares the one bucket "unknown".
 */
export function callerAddress(request: Request): string {
  const ip = request.headers.get("CF-Connecting-IP") ?? "";
  if (IPV4.test(ip)) return ip;
  return (ip.includes(":") && ipv6Prefix64(ip)) || "unknown";
}

const OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
const GROUP = /^[0-9A-Fa-f]{1,4}$/;

function ipv6Prefix64(address: string): string | undefined {
  if (address.length > 45) return undefined;
  let ip = address;
  // A trailing dotted quad (::ffff:192.0.2.1) stands for the last two groups.
  const quad = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (quad) {
    if (!IPV4.test(quad[2]!)) return undefined;
    const [a, b, c, d] = quad[2]!.split(".").map(Number) as [number, number, number, number];
    ip = `${quad[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = ip.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const words = [...head, ...Array<string>(missing).fill("0"), ...tail];
  if (!words.every((w) => GROUP.test(w))) return undefined;
  const n = words.map((w) => Number.parseInt(w, 16));
  // An IPv4-mapped address is that IPv4 caller.
  if (n.slice(0, 5).every((x) => x === 0) && n[5] === 0xffff) return `${n[6]! >> 8}.${n[6]! & 255}.${n[7]! >> 8}.${n[7]! & 255}`;
  return `${n
    .slice(0, 4)
    .map((x) => x.toString(16))
    .join(":")}::/64`;
}
