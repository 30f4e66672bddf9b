// @ts-check
/**
 * `<ap-dashboard>`: the page. It holds the latest fleet snapshot, kept current by the server's event
 * stream (/api/events: one `snapshot` event per refresh, shared by every viewer), and shows the overview
 * at `/` or one plane at `/planes/<name>`. Links between the two change the view in place, so the stream
 * stays open and nothing reloads.
 */
import { LitElement, css, html, nothing } from 'lit';
import { ago } from './format.js';
import './overview.js';
import './plane-view.js';
import { theme } from './theme.js';

/** @typedef {import('../fleet-snapshot.js').FleetSnapshot} FleetSnapshot */
/** @typedef {'connecting' | 'live' | 'reconnecting'} Connection */

export class ApDashboard extends LitElement {
  static properties = {
    snapshot: { state: true },
    connection: { state: true },
    path: { state: true },
    now: { state: true },
  };

  static styles = [
    theme,
    css`
      header {
        display: flex;
        align-items: center;
        gap: 14px;
        padding: 12px 28px;
        background: var(--surface);
        border-bottom: 1px solid var(--line);
      }
      .brand { font-weight: 700; font-size: 16px; color: var(--ink); display: flex; align-items: center; gap: 8px; }
      .brand img { width: 22px; height: 22px; }
      .crumbs { color: var(--muted); }
      .crumbs a { color: var(--muted); }
      .spacer { flex: 1; }
      .live { font-size: 12px; color: var(--muted); }
      main { padding: 22px 28px; max-width: 1400px; }
      footer { padding: 0 28px 22px; font-size: 12px; color: var(--muted); }
    `,
  ];

  constructor() {
    super();
    /** @type {FleetSnapshot | null} */
    this.snapshot = null;
    /** @type {Connection} */
    this.connection = 'connecting';
    this.path = location.pathname;
    this.now = Date.now();
    /** @type {EventSource | null} */
    this.events = null;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.clock = undefined;
    this.onPopState = () => {
      this.path = location.pathname;
    };
    /** In-page navigation for links marked data-nav, wherever they sit in the shadow trees. */
    this.onClick = (/** @type {MouseEvent} */ event) => {
      if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      const anchor = event.composedPath().find((n) => n instanceof HTMLAnchorElement && n.hasAttribute('data-nav'));
      if (!(anchor instanceof HTMLAnchorElement)) return;
      event.preventDefault();
      if (anchor.pathname !== location.pathname) history.pushState(null, '', anchor.pathname);
      this.path = anchor.pathname;
      window.scrollTo(0, 0);
    };
  }

  connectedCallback() {
    super.connectedCallback();
    window.addEventListener('popstate', this.onPopState);
    this.addEventListener('click', this.onClick);
    this.clock = setInterval(() => {
      this.now = Date.now();
    }, 1000);
    this.openStream();
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    window.removeEventListener('popstate', this.onPopState);
    this.removeEventListener('click', this.onClick);
    clearInterval(this.clock);
    this.events?.close();
  }

  openStream() {
    const events = new EventSource('/api/events');
    this.events = events;
    events.addEventListener('snapshot', (message) => {
      // One stream delivers in order; after a reconnect (or a server restart) the first event is the newest.
      this.snapshot = /** @type {FleetSnapshot} */ (JSON.parse(/** @type {MessageEvent<string>} */ (message).data));
      this.connection = 'live';
    });
    events.addEventListener('open', () => {
      if (this.connection !== 'live') this.connection = 'connecting';
    });
    // EventSource reconnects by itself (the server asks for a retry after 2 s).
    events.addEventListener('error', () => {
      this.connection = 'reconnecting';
    });
  }

  /** The plane named in the path, if the path names one. */
  planeName() {
    const match = /^\/planes\/([^/]+)\/?$/.exec(this.path);
    return match ? decodeURIComponent(match[1] ?? '') : null;
  }

  render() {
    const s = this.snapshot;
    const planeName = this.planeName();
    document.title = planeName ? `${planeName} · Agents Plane` : 'Fleet · Agents Plane';
    return html`
      <header>
        <a class="brand" href="/" data-nav><img src="/assets/icon.svg" alt="">Agents Plane</a>
        <span class="crumbs">
          <a href="/" data-nav>Fleet</a>${planeName ? html` / <span data-testid="crumb-plane">${planeName}</span>` : nothing}
        </span>
        <span class="spacer"></span>
        ${s?.temporal.webUiUrl ? html`<a href=${s.temporal.webUiUrl} target="_blank" rel="noopener noreferrer">Temporal Web UI ↗</a>` : nothing}
        <span class="live" data-testid="connection" data-connection=${this.connection}>${this.liveLine()}</span>
      </header>
      <main>
        ${s?.error ? html`<div class="error-line" data-testid="fleet-error">Cannot read the fleet: ${s.error} (showing the last data read)</div>` : nothing}
        ${!s ? html`<p class="muted">Loading the fleet…</p>` : planeName ? this.planePage(s, planeName) : html`<ap-overview .snapshot=${s}></ap-overview>`}
      </main>
      <footer>
        Read-only. Data from Temporal queries and compute describe calls${s ? html`, refreshed every ${Math.round(s.intervalMs / 1000)} s` : nothing}.
      </footer>
    `;
  }

  /**
   * @param {FleetSnapshot} s
   * @param {string} name
   */
  planePage(s, name) {
    const plane = s.planes.find((p) => p.name === name);
    if (!plane) return html`<div class="card" data-testid="no-such-plane">No plane named <strong>${name}</strong>. <a href="/" data-nav>Back to the fleet</a></div>`;
    return html`<ap-plane-view .plane=${plane} .now=${this.now}></ap-plane-view>`;
  }

  liveLine() {
    if (this.connection === 'reconnecting') return '○ reconnecting…';
    if (!this.snapshot) return '○ connecting…';
    return html`<span class="dot ${this.snapshot.stale ? 'warn' : 'ok'}"></span>live · updated ${ago(this.snapshot.generatedAt, this.now)}`;
  }
}

customElements.define('ap-dashboard', ApDashboard);
