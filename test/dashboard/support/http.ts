/** Talking to a dashboard from tests: raw requests (paths exactly as written) and its event stream. */
import { request } from 'node:http';

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** A GET (or other method) with the path sent as is: fetch would normalise `..` away. */
export function rawRequest(url: string, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  const base = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: base.hostname, port: base.port, path, method: options.method ?? 'GET', headers: options.headers ?? {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

export interface EventStream {
  /** Raw text received so far (every byte the server sent on the stream). */
  readonly text: () => string;
  /** Parsed `snapshot` events received so far. */
  readonly snapshots: () => unknown[];
  close(): void;
}

/** Opens /api/events and collects what arrives until closed. */
export async function openEventStream(url: string, headers: Record<string, string> = {}): Promise<EventStream> {
  const controller = new AbortController();
  const response = await fetch(new URL('/api/events', url), { headers, signal: controller.signal });
  if (!response.ok || !response.body) throw new Error(`/api/events answered ${response.status}`);
  let text = '';
  const decoder = new TextDecoder();
  const reader = response.body.getReader();
  void (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
    } catch {
      // Aborted by close().
    }
  })();
  return {
    text: () => text,
    snapshots: () =>
      // Only complete events: the last block may still be arriving.
      text
        .slice(0, text.lastIndexOf('\n\n'))
        .split('\n\n')
        .filter((block) => block.includes('event: snapshot'))
        .map((block) => JSON.parse(block.split('\n').find((l) => l.startsWith('data: '))!.slice('data: '.length)) as unknown),
    close: () => controller.abort(),
  };
}
