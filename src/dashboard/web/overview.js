// @ts-check
/** `<ap-overview>`: every plane in one table, with fleet totals and the version spread. */
import { LitElement, html, nothing } from 'lit';
import { money, versionEntries } from './format.js';
import { stateClass, theme } from './theme.js';
import { workflowLink } from './workflow-link.js';

/** @typedef {import('../fleet-snapshot.js').FleetSnapshot} FleetSnapshot */
/** @typedef {import('../fleet-snapshot.js').PlaneView} PlaneView */

export class ApOverview extends LitElement {
  static properties = { snapshot: { attribute: false } };
  static styles = [theme];

  constructor() {
    super();
    /** @type {FleetSnapshot | null} */
    this.snapshot = null;
  }

  render() {
    const s = this.snapshot;
    if (!s) return nothing;
    return html`
      <div class="stats">
        ${stat('Planes', String(s.totals.planes))}
        ${stat('Agents', String(s.totals.agents))}
        ${stat('Ready', String(s.totals.ready), 'ok')}
        ${stat('Unhealthy', String(s.totals.unhealthy), s.totals.unhealthy > 0 ? 'bad' : '')}
        ${stat('Est. monthly cost', money(s.totals.monthlyCostUsd))}
      </div>
      <div class="card">
        <h2>Planes</h2>
        ${s.planes.length === 0
          ? html`<p class="muted" data-testid="no-planes">No planes yet. Create one with <code>agents-plane planes create</code>.</p>`
          : html`<table>
              <thead>
                <tr>
                  <th>Plane</th><th>Phase</th><th>Project / zone</th><th class="num">Agents</th><th class="num">Ready</th>
                  <th class="num">Unhealthy</th><th>Versions</th><th class="num">Cost / month</th><th>Upgrade</th><th>Entity</th>
                </tr>
              </thead>
              <tbody>${s.planes.map((p) => planeRow(p))}</tbody>
            </table>`}
      </div>
      ${versionEntries(s.versions).length > 0
        ? html`<div class="card">
            <h2>Agent versions across the fleet</h2>
            <div class="chips">${versionEntries(s.versions).map(([v, n]) => html`<span class="chip mono">${v} × ${n}</span>`)}</div>
          </div>`
        : nothing}
    `;
  }
}

/**
 * @param {string} label
 * @param {string} value
 * @param {string} [tone]
 */
function stat(label, value, tone = '') {
  return html`<div class="stat"><div class="label">${label}</div><div class="value ${tone}" data-testid=${`total-${label.toLowerCase().replace(/[^a-z]+/g, '-')}`}>${value}</div></div>`;
}

/** @param {PlaneView} p */
function planeRow(p) {
  return html`
    <tr data-testid="plane-row" data-plane=${p.name}>
      <td><a href=${`/planes/${p.name}`} data-nav>${p.name}</a>${p.error ? html`<div class="muted" title=${p.error}>⚠ ${p.error}</div>` : nothing}</td>
      <td><span class="badge ${stateClass(p.phase)}">${p.phase}</span></td>
      <td class="muted">${p.project ? `${p.project} / ${p.zone}` : '—'}</td>
      <td class="num">${p.totals.agents}</td>
      <td class="num">${p.totals.ready}</td>
      <td class="num">${p.totals.unhealthy > 0 ? html`<span class="badge bad">${p.totals.unhealthy}</span>` : '0'}</td>
      <td><div class="chips">${versionEntries(p.versions).map(([v, n]) => html`<span class="chip mono">${v} × ${n}</span>`)}</div></td>
      <td class="num">${money(p.totals.monthlyCostUsd)}</td>
      <td>${upgradeSummary(p)}</td>
      <td>${workflowLink(p.workflow, 'plane')}</td>
    </tr>
  `;
}

/** @param {PlaneView} p */
function upgradeSummary(p) {
  const u = p.upgrade;
  if (!u) return html`<span class="muted">—</span>`;
  const label = u.rolledBack ? 'rolled back' : u.halted ? 'halted' : u.paused ? 'paused' : u.status === 'Running' ? `step ${u.step}/${u.totalSteps}` : u.status.toLowerCase();
  const tone = u.rolledBack || u.halted || u.status === 'Failed' ? 'bad' : u.paused ? 'warn' : u.status === 'Running' ? 'info' : 'ok';
  return html`<a href=${`/planes/${p.name}`} data-nav><span class="badge ${tone}" data-testid="upgrade-summary">${label}</span></a>`;
}

customElements.define('ap-overview', ApOverview);
