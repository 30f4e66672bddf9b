// @ts-check
/** How numbers, ages and times read on the page. */

export function money(/** @type {number} */ usd) {
  return `$${usd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** 42 → "42s", 130 → "2m 10s", 7300 → "2h 1m". */
export function age(/** @type {number} */ seconds) {
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d`;
}

/** An ISO time as "3h ago" relative to `now` (ms). */
export function ago(/** @type {string} */ iso, /** @type {number} */ now) {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return `${age(seconds)} ago`;
}

/** Version counts, most common first. */
export function versionEntries(/** @type {Readonly<Record<string, number>>} */ counts) {
  return Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}
