// @ts-check
/** A link to a workflow in the Temporal Web UI, or its id alone when no Web UI is known. */
import { html } from 'lit';

/**
 * @param {import('../fleet-snapshot.js').WorkflowLink} link
 * @param {string} [label]
 */
export function workflowLink(link, label = 'workflow') {
  if (!link.url) return html`<span class="mono muted" title=${link.workflowId}>${link.workflowId}</span>`;
  return html`<a href=${link.url} target="_blank" rel="noopener noreferrer" title=${`${link.workflowId} in the Temporal Web UI`} data-testid="workflow-link">${label} ↗</a>`;
}
