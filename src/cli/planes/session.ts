/**
 * What a planes command talks to: the Temporal client (the embedded stack or TEMPORAL_*), and for the
 * few reads and writes the caller makes with its own credentials (guest attributes, serial output,
 * secret versions) the Google clients. Both are opened lazily and closed once.
 */
import type { Client } from '@temporalio/client';
import type { GcpClients } from '../../gcp/clients.js';
import { connectClient, resolveStack } from '../../temporal/connection.js';

export class Session {
  private client: Client | undefined;
  private gcp: GcpClients | undefined;

  async temporal(): Promise<Client> {
    this.client ??= await connectClient();
    return this.client;
  }

  async google(): Promise<GcpClients> {
    if (!this.gcp) {
      const stack = await resolveStack();
      // Loaded on demand: the Google clients take about a second to import, and most commands
      // only talk to Temporal.
      const { createGcpClients } = await import('../../gcp/clients.js');
      this.gcp = createGcpClients({ emulatorUrl: stack.gcpEndpoint });
    }
    return this.gcp;
  }

  async close(): Promise<void> {
    await this.gcp?.close();
    await this.client?.connection.close();
  }
}

/** Runs `body` with a session that is always closed. */
export async function withSession<T>(body: (session: Session) => Promise<T>): Promise<T> {
  const session = new Session();
  try {
    return await body(session);
  } finally {
    await session.close();
  }
}
