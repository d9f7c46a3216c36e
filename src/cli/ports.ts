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

/**
 * A TCP port on 127.0.0.1 that nothing listens on right now, picked below the kernel's ephemeral
 * range (32768 and up on Linux): a port the OS handed out for `listen(0)` is the very kind another
 * process starting at the same moment (a workerd, a wrangler inspector) is handed next, and
 * would then find taken when it is used.
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (!(await portInUse(port, "127.0.0.1")) && !(await portInUse(port))) return port;
  }
  const server = createServer().listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}
