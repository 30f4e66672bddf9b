/** Local TCP ports for the components of a stack. */
import { createServer } from 'node:net';

/** Whether nothing listens on host:port right now. */
export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** A port the OS reports free (there is a window before the caller binds it; callers retry on clash). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The port for a component: the one asked for explicitly (which must be free), else the preferred
 * default when free, else any free port — so a second checkout or a test run never fails on a clash.
 */
export async function choosePort(what: string, explicit: number | undefined, preferred: number, taken: ReadonlySet<number>): Promise<number> {
  if (explicit !== undefined) {
    if (explicit !== 0) {
      if (taken.has(explicit) || !(await portIsFree(explicit))) throw new Error(`${what} port ${explicit} is already in use`);
      return explicit;
    }
  } else if (!taken.has(preferred) && (await portIsFree(preferred))) {
    return preferred;
  }
  for (;;) {
    const port = await freePort();
    if (!taken.has(port)) return port;
  }
}
