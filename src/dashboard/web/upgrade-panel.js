// @ts-check
/**
 * `<ap-upgrade-panel>`: a plane's running (or just finished) upgrade: step, canary, waves with each
 * agent's state, pause, halt, rollback.
 */
import { LitElement, css, html, nothing } from 'lit';
import { ago } from './format.js';
import { theme } from './theme.js';
import { workflowLink } from './workflow-link.js';

/** @typedef {import('../fleet-snapshot.js').UpgradeView} UpgradeView */
/** @typedef {import('../fleet-snapshot.js').StepState} StepState */
/** @typedef {import('../fleet-snapshot.js').UpgradeAgentView} UpgradeAgentView */

/** @type {Readonly<Record<StepState, string>>} */
const STEP_TONE = { pending: 'idle', running: 'info', done: 'ok', failed: 'bad', 'rolled-back': 'warn' };

/** @type {Readonly<Record<UpgradeAgentView['state'], string>>} */
const AGENT_TONE = {
  pending: 'idle',
  snapshotting: 'info',
  upgrading: 'info',
  upgraded: 'ok',
  failed: 'bad',
  'rolling-back': 'warn',
  'rolled-back': 'warn',
  'rollback-failed': 'bad',
};

export class ApUpgradePanel extends LitElement {
  static properties = { upgrade: { attribute: false }, now: { type: Number } };
  static styles = [
    theme,
    css`
      .head { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; margin-bottom: 12px; }
      .head h2 { margin: 0; }
      .versions { font-size: 15px; }
      .spacer { flex: 1; }
      .bar { height: 10px; background: var(--idle-bg); border-radius: 999px; overflow: hidden; margin: 6px 0 4px; }
      .fill { height: 100%; background: var(--accent); transition: width 0.4s ease; }
      .fill.bad { background: var(--bad); }
      .fill.ok { background: var(--ok); }
      .step-line { display: flex; justify-content: space-between; font-size: 13px; }
      .waves { display: flex; gap: 8px; flex-wrap: wrap; margin-top: 14px; }
      .wave { border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; min-width: 120px; }
      .wave .title { font-size: 12px; font-weight: 600; margin-bottom: 4px; }
      .wave .agents { font-size: 12px; color: var(--muted); margin-top: 4px; }
      .wave .agent { display: flex; justify-content: space-between; gap: 8px; margin-top: 4px; font-size: 12px; }
      .wave .agent .badge { font-size: 11px; }
      .banner { margin-top: 12px; border-radius: 8px; padding: 8px 12px; }
    `,
  ];

  constructor() {
    super();
    /** @type {UpgradeView | null} */
    this.upgrade = null;
    this.now = Date.now();
  }

  render() {
    const u = this.upgrade;
    if (!u) return nothing;
    const done = u.status === 'Running' ? Math.max(0, u.step - 1) : u.step;
    const percent = u.totalSteps > 0 ? Math.min(100, Math.round((done / u.totalSteps) * 100)) : 0;
    const [label, tone] = headline(u);
    return html`
      <div class="card" data-testid="upgrade-panel" data-status=${u.status}>
        <div class="head">
          <h2>Upgrade</h2>
          ${u.fromVersion || u.toVersion
            ? html`<span class="versions mono" data-testid="upgrade-versions">${u.fromVersion ?? '?'} → ${u.toVersion ?? '?'}</span>`
            : nothing}
          <span class="badge ${tone}" data-testid="upgrade-state">${label}</span>
          ${u.maxUnavailable !== null ? html`<span class="muted">at most ${u.maxUnavailable} unavailable</span>` : nothing}
          <span class="spacer"></span>
          <span class="muted">${u.startedAt ? `started ${ago(u.startedAt, this.now)}` : ''}</span>
          ${workflowLink(u.workflow, u.workflow.workflowId)}
        </div>
        <div class="step-line">
          <span data-testid="upgrade-step" data-step=${u.step} data-total=${u.totalSteps}>
            ${u.totalSteps > 0 ? html`Step <strong>${u.step}</strong> of ${u.totalSteps}` : 'Starting'}${u.stepName ? html`: ${u.stepName}` : nothing}
          </span>
          <span class="muted">${percent}%</span>
        </div>
        <div class="bar" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=${percent}>
          <div class="fill ${tone === 'bad' ? 'bad' : u.status === 'Completed' ? 'ok' : ''}" data-testid="upgrade-bar" data-percent=${percent}></div>
        </div>
        ${u.canary || u.waves.length > 0
          ? html`<div class="waves">
              ${u.canary ? box('Canary', u.canary.agents, u.canary.state, 'canary', u.agents) : nothing}
              ${u.waves.map((w) => box(`Wave ${w.index}`, w.agents, w.state, 'wave', u.agents))}
            </div>`
          : nothing}
        ${u.halted ? html`<div class="banner bad" data-testid="upgrade-halted">${u.aborted ? 'Aborted' : 'Halted'}${u.haltReason && !u.aborted ? `: ${u.haltReason}` : ''}</div>` : nothing}
        ${u.undoing ? html`<div class="banner warn" data-testid="upgrade-undoing">Rolling back ${u.undoing} to its previous version</div>` : nothing}
        ${u.rolledBack ? html`<div class="banner warn" data-testid="upgrade-rolled-back">Rolled back to ${u.fromVersion ?? 'the previous version'}</div>` : nothing}
        ${u.error ? html`<div class="banner bad">${u.error}</div>` : nothing}
        ${u.queryError ? html`<div class="banner idle">${u.queryError}</div>` : nothing}
      </div>
    `;
  }

  /** Sizes the progress fill without inline styles (the page's CSP forbids them). */
  updated() {
    const fill = /** @type {HTMLElement | null} */ (this.renderRoot.querySelector('.fill'));
    if (fill) fill.style.width = `${fill.dataset.percent ?? 0}%`;
  }
}

/** @param {UpgradeView} u @returns {[string, string]} */
function headline(u) {
  if (u.rolledBack) return ['Rolled back', 'warn'];
  if (u.halted && u.status === 'Running') return ['Rolling back', 'warn'];
  if (u.halted) return [u.aborted ? 'Aborted' : 'Halted', 'bad'];
  if (u.paused) return ['Paused', 'warn'];
  switch (u.status) {
    case 'Running':
      return ['Running', 'info'];
    case 'Completed':
      return ['Completed', 'ok'];
    case 'Failed':
    case 'Terminated':
    case 'TimedOut':
      return [u.status, 'bad'];
    default:
      return [u.status, 'idle'];
  }
}

/**
 * @param {string} title
 * @param {readonly string[]} agents
 * @param {StepState} state
 * @param {string} testid
 * @param {readonly UpgradeAgentView[]} progress each agent's upgrade state (empty when unknown)
 */
function box(title, agents, state, testid, progress) {
  const byName = new Map(progress.map((a) => [a.name, a]));
  return html`<div class="wave" data-testid=${testid} data-state=${state}>
    <div class="title">${title}</div>
    <span class="badge ${STEP_TONE[state]}">${state}</span>
    ${agents.length === 0
      ? html`<div class="agents">—</div>`
      : agents.map((name) => {
          const a = byName.get(name);
          return html`<div class="agent" data-testid="upgrade-agent" data-agent=${name} data-state=${a?.state ?? 'unknown'} title=${a?.error ?? ''}>
            <span class="mono">${name}</span>
            ${a ? html`<span class="badge ${AGENT_TONE[a.state]}">${a.state}</span>` : nothing}
          </div>`;
        })}
  </div>`;
}

customElements.define('ap-upgrade-panel', ApUpgradePanel);
