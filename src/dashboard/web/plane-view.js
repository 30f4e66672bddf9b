// @ts-check
/** `<ap-plane-view>`: one plane: totals, version spread, its upgrade, and every agent. */
import { LitElement, css, html, nothing } from 'lit';
import { age, ago, money, versionEntries } from './format.js';
import { healthClass, stateClass, theme } from './theme.js';
import './upgrade-panel.js';
import { workflowLink } from './workflow-link.js';

/** @typedef {import('../fleet-snapshot.js').PlaneView} PlaneView */
/** @typedef {import('../fleet-snapshot.js').AgentView} AgentView */

export class ApPlaneView extends LitElement {
  static properties = { plane: { attribute: false }, now: { type: Number } };
  static styles = [
    theme,
    css`
      .title { display: flex; align-items: center; gap: 12px; margin-bottom: 14px; flex-wrap: wrap; }
      .title h1 { font-size: 22px; margin: 0; }
      .title .where { color: var(--muted); }
      .spacer { flex: 1; }
      .health-reason { font-size: 12px; color: var(--bad); }
      .desired { font-size: 12px; color: var(--warn); }
      .owner { color: var(--muted); }
    `,
  ];

  constructor() {
    super();
    /** @type {PlaneView | null} */
    this.plane = null;
    this.now = Date.now();
  }

  render() {
    const p = this.plane;
    if (!p) return nothing;
    return html`
      <div class="title">
        <h1 data-testid="plane-name">${p.name}</h1>
        <span class="badge ${stateClass(p.phase)}" data-testid="plane-phase">${p.phase}</span>
        <span class="where">${p.project} · ${p.zone}</span>
        <span class="spacer"></span>
        ${workflowLink(p.workflow, 'plane entity')}
      </div>
      ${p.error ? html`<div class="error-line">${p.error}</div>` : nothing}
      <div class="stats">
        ${stat('Agents', String(p.totals.agents))}
        ${stat('Ready', String(p.totals.ready))}
        ${stat('Unhealthy', String(p.totals.unhealthy), p.totals.unhealthy > 0 ? 'bad' : '')}
        ${stat('Provisioning', String(p.totals.provisioning))}
        ${stat('Est. monthly cost', money(p.totals.monthlyCostUsd))}
      </div>
      <ap-upgrade-panel .upgrade=${p.upgrade} .now=${this.now}></ap-upgrade-panel>
      <div class="card">
        <h2>Versions</h2>
        <div class="chips" data-testid="version-spread">
          ${versionEntries(p.versions).map(([v, n]) => html`<span class="chip mono" data-version=${v}>${v} × ${n}</span>`)}
          ${versionEntries(p.versions).length === 0 ? html`<span class="muted">no agents</span>` : nothing}
        </div>
      </div>
      <div class="card">
        <h2>Agents</h2>
        ${p.agents.length === 0
          ? html`<p class="muted">No agents yet. Add one with <code>agents-plane planes add-agent --plane ${p.name}</code>.</p>`
          : html`<table>
              <thead>
                <tr>
                  <th>Agent</th><th>Owner</th><th>State</th><th>Health</th><th>Version</th><th>VM type</th>
                  <th class="num">Cost / month</th><th>Last backup</th><th>Workflow</th>
                </tr>
              </thead>
              <tbody>${p.agents.map((a) => agentRow(a, this.now))}</tbody>
            </table>`}
      </div>
    `;
  }
}

/**
 * @param {string} label
 * @param {string} value
 * @param {string} [tone]
 */
function stat(label, value, tone = '') {
  return html`<div class="stat"><div class="label">${label}</div><div class="value ${tone}">${value}</div></div>`;
}

/**
 * @param {AgentView} a
 * @param {number} now
 */
function agentRow(a, now) {
  const heartbeat = a.heartbeatAgeSeconds === null ? 'no heartbeat yet' : `heartbeat ${age(a.heartbeatAgeSeconds)} ago`;
  return html`
    <tr data-testid="agent-row" data-agent=${a.name} data-state=${a.state} data-health=${a.health}>
      <td><strong>${a.name}</strong></td>
      <td class="owner">${a.owner}</td>
      <td><span class="badge ${stateClass(a.state)}" data-testid="agent-state">${a.state}</span></td>
      <td data-testid="agent-health">
        <span class="dot ${healthClass(a.health)}"></span>${heartbeat}
        ${a.healthReason ? html`<div class="health-reason">${a.healthReason}</div>` : nothing}
        ${a.lastError && a.lastError !== a.healthReason ? html`<div class="health-reason" title=${a.lastError}>${a.lastError}</div>` : nothing}
      </td>
      <td class="mono" data-testid="agent-version">
        ${a.agentVersion ?? '—'}
        ${a.agentVersion !== null && a.agentVersion !== a.desiredVersion ? html`<div class="desired">→ ${a.desiredVersion}</div>` : nothing}
      </td>
      <td class="mono">${a.vmType}</td>
      <td class="num">${money(a.monthlyCostUsd)}</td>
      <td class="muted" title=${a.lastBackupAt ?? ''} data-testid="agent-backup">${a.lastBackupAt ? ago(a.lastBackupAt, now) : 'none yet'}</td>
      <td>${workflowLink(a.workflow, a.state === 'Removing' ? 'deprovision' : 'provision')}</td>
    </tr>
  `;
}

customElements.define('ap-plane-view', ApPlaneView);
