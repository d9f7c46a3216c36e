import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getWorkerRegistry } from "miniflare";

/**
 * How the CLI knows that `npm start` serves a local state directory, and that nothing else
 * does. npm start claims the state with a session file in it (its pid, port and dev registry)
 * before it touches anything there, and runs wrangler dev with a dev registry of that state's
 * own. wrangler's default registry is one per user: a second checkout's `npm start`, or a test
 * run's, registers the same Worker name there, and the CLI could not tell whose it reached.
 */
export const SESSION_FILE_NAME = "edge-token-dev-session.json";

export interface StartSession {
  pid: number;
  port: number;
  /** The dev registry its wrangler dev registers in; the CLI reaches the server through it. */
  registry: string;
}

/** The dev registry of the npm start that serves `state`: in the state itself, so wiping one wipes both. */
export const devRegistryOf = (state: string): string => join(state, "dev-registry");

/** The session file in `state`, if it is one (a half-written or foreign file is none). */
function readSession(state: string): StartSession | undefined {
  try {
    const s = JSON.parse(readFileSync(join(state, SESSION_FILE_NAME), "utf8")) as Partial<StartSession>;
    if (Number.isSafeInteger(s.pid) && s.pid! > 0 && Number.isSafeInteger(s.port) && typeof s.registry === "string") {
      return s as StartSession;
    }
  } catch {
    // missing or unreadable
  }
  return undefined;
}

/** Whether a process with this pid runs (one of another user's answers EPERM: it runs). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The npm start that holds `state`: its session file names a running process. A file whose process is gone is stale. */
export function liveSession(state: string): StartSession | undefined {
  const session = readSession(state);
  return session && isRunning(session.pid) ? session : undefined;
}

/** Whether that session's wrangler dev is up: its own dev registry lists the Worker. */
export function isServing(session: StartSession, workerName: string): boolean {
  return Object.hasOwn(getWorkerRegistry(session.registry), workerName);
}

export class StateTaken extends Error {
  constructor(state: string, holder: StartSession) {
    super(
      `npm start already runs on ${state} (pid ${holder.pid}, http://localhost:${holder.port}). Stop it, or give this one a state of its own: npm start -- --port N --persist-to DIR. If no such process is npm start, delete ${join(state, SESSION_FILE_NAME)}.`,
    );
  }
}

/**
 * Claims `state` for this process, atomically: the file appears whole or not at all (a link
 * cannot replace an existing file), so two npm starts on one state cannot both win. A stale
 * session (its process gone) is replaced, with the Worker's entry in its dev registry: wrangler
 * does not register over an entry it did not write until that entry is 90 s old, and the CLI
 * would try to reach a server that is gone.
 */
export function claimSession(state: string, port: number, workerName: string): StartSession {
  mkdirSync(state, { recursive: true });
  const file = join(state, SESSION_FILE_NAME);
  const session = { pid: process.pid, port, registry: devRegistryOf(state) };
  const draft = `${file}.${process.pid}`;
  writeFileSync(draft, JSON.stringify(session));
  try {
    for (;;) {
      try {
        linkSync(draft, file);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const holder = liveSession(state);
      if (holder) throw new StateTaken(state, holder);
      rmSync(file, { force: true });
    }
  } finally {
    rmSync(draft, { force: true });
  }
  rmSync(join(session.registry, workerName), { force: true });
  return session;
}

/** Removes the session file if it is still this process's. */
export function releaseSession(state: string): void {
  if (readSession(state)?.pid === process.pid) rmSync(join(state, SESSION_FILE_NAME), { force: true });
}
