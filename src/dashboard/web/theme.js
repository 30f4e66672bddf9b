// @ts-check
/** Styles shared by the components: surfaces, tables, badges and the state colours. */
import { css } from 'lit';

export const theme = css`
  :host {
    display: block;
    --ink: #1c2130;
    --muted: #5f6679;
    --line: #e2e5ee;
    --surface: #ffffff;
    --accent: #3b4cca;
    --ok: #1f8f4e;
    --ok-bg: #e3f5ea;
    --bad: #c4302b;
    --bad-bg: #fbe5e4;
    --warn: #a8660a;
    --warn-bg: #fdf0d9;
    --info: #2366c4;
    --info-bg: #e2edfb;
    --idle: #6b7280;
    --idle-bg: #eceef2;
    color: var(--ink);
  }
  a { color: var(--accent); text-decoration: none; }
  a:hover { text-decoration: underline; }
  .card {
    background: var(--surface);
    border: 1px solid var(--line);
    border-radius: 10px;
    padding: 16px 18px;
    margin-bottom: 16px;
  }
  h2 { font-size: 15px; margin: 0 0 12px; font-weight: 600; }
  table { border-collapse: collapse; width: 100%; }
  th {
    text-align: left;
    font-size: 11px;
    font-weight: 600;
    text-transform: uppercase;
    letter-spacing: 0.04em;
    color: var(--muted);
    padding: 8px 10px;
    border-bottom: 1px solid var(--line);
    white-space: nowrap;
  }
  td { padding: 9px 10px; border-bottom: 1px solid var(--line); vertical-align: middle; }
  tr:last-child td { border-bottom: none; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .muted { color: var(--muted); }
  .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
  .badge {
    display: inline-block;
    padding: 2px 9px;
    border-radius: 999px;
    font-size: 12px;
    font-weight: 600;
    white-space: nowrap;
  }
  .ok { color: var(--ok); background: var(--ok-bg); }
  .bad { color: var(--bad); background: var(--bad-bg); }
  .warn { color: var(--warn); background: var(--warn-bg); }
  .info { color: var(--info); background: var(--info-bg); }
  .idle { color: var(--idle); background: var(--idle-bg); }
  .dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 6px; vertical-align: 1px; }
  .dot.ok { background: var(--ok); }
  .dot.bad { background: var(--bad); }
  .dot.warn { background: var(--warn); }
  .dot.info { background: var(--info); }
  .dot.idle { background: var(--idle); }
  .stats { display: flex; gap: 12px; flex-wrap: wrap; margin-bottom: 16px; }
  .stat {
    flex: 1 1 130px;
    background: var(--surface);
    border: 1px solid var(--line);
    border-radius: 10px;
    padding: 12px 16px;
  }
  .stat .label { font-size: 11px; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); }
  .stat .value { font-size: 24px; font-weight: 600; margin-top: 4px; font-variant-numeric: tabular-nums; }
  .stat .value.bad { background: none; }
  .stat .value.ok { background: none; }
  .chips { display: flex; gap: 6px; flex-wrap: wrap; }
  .chip {
    font-size: 12px;
    border: 1px solid var(--line);
    border-radius: 6px;
    padding: 2px 8px;
    background: #fafbfd;
    white-space: nowrap;
  }
  .error-line {
    color: var(--bad);
    background: var(--bad-bg);
    border-radius: 8px;
    padding: 8px 12px;
    margin-bottom: 12px;
  }
`;

/** Badge class per agent or plane state. */
export function stateClass(/** @type {string} */ state) {
  switch (state) {
    case 'Ready':
      return 'ok';
    case 'Unhealthy':
    case 'Failed':
      return 'bad';
    case 'Provisioning':
    case 'Creating':
      return 'info';
    case 'Removing':
    case 'Destroying':
      return 'warn';
    default:
      return 'idle';
  }
}

/** Dot class per health. */
export function healthClass(/** @type {string} */ health) {
  return health === 'healthy' ? 'ok' : health === 'unhealthy' ? 'bad' : health === 'starting' ? 'info' : 'idle';
}
