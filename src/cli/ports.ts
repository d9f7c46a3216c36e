import { createServer } from "node:net";

/** Whether something listens on `port` at `host` (the way wrangler dev binds it: localhost). */
export async function portInUse(port: number, host = "localhost"): Promise<boolean> {
  const server = createServer();
  const taken = await new Promise<boolean>((done) => {
    server.once("error", () => done(true));
    server.listen(port, host, () => done(false));
  });
  if (!taken) await new Promise((r) => server.close(r));
  return taken;
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}
