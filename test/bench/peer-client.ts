/** The peer's one client, shared by peer.ts (which serves it) and bench.ts (which drives it). */
export const PEER_CLIENT = { client_id: "bench-peer", client_secret: "bench-peer-secret-0123456789abcdefghijklmnopqrstuv" };
