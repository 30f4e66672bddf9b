/**
 * agents-plane-report: the VM side of issue 8's spend and channel reporting on a real VM. Asks OpenClaw
 * itself and writes GUEST_PATHS.spendFile (ReportedSpend) and GUEST_PATHS.channelsFile (ChannelState per
 * channel of the applied profile), which the heartbeat publishes as they are. Run by its own timer as
 * root (the gateway token comes from the unit's EnvironmentFile, never argv), OpenClaw's CLI dropped to
 * the openclaw user like apply-runtime does, because only that user reads OpenClaw's state.
 *
 * What OpenClaw 2026.9.6 offers, and what this relies on (paths in the npm package):
 * - `openclaw channels status --json` prints the gateway's `channels.status` RPC result
 *   (dist/status-BFdm8gpw.mjs channelsStatusCommand); its `channelAccounts` maps a channel id to account
 *   snapshots with `configured`, `linked`, `running`, `connected`, `lastError`
 *   (dist/channels-CdsxwbSe.mjs ChannelAccountSnapshotSchema, ChannelsStatusResultSchema; docs/cli/channels.md).
 *   While the gateway starts it prints `{ "status": "starting" }` instead: no `channelAccounts`, so the
 *   previous file stays.
 * - `openclaw gateway usage-cost --days N --json` prints the `usage.cost` RPC result (both commands take
 *   `--timeout <ms>` for the RPC: dist/gateway-rpc-DaUnOpOo.mjs addGatewayClientOptions)
 *   (dist/gateway-cli-C-ulFTjb.mjs): `{ totals, daily: [{ date: "YYYY-MM-DD", totalTokens, totalCost,
 *   missingCostEntries }] }`, built from the session transcripts (docs/cli/gateway/query.md). Its cost
 *   is OpenClaw's own estimate (docs/reference/token-use.md "Cost estimation"): recorded provider
 *   amounts first, else `models.providers.*.models[].cost` or agent-local models.json, else the hosted
 *   model catalog's prices (fetched by the gateway; `models.catalogRefresh`). The bundled Anthropic
 *   manifest (dist/extensions/anthropic/openclaw.plugin.json) carries no `cost` for the tier models, so
 *   prices come from that hosted catalog; usage it has no price for counts as 0 USD there
 *   (`missingCostEntries`), and this program says so on the console rather than guess. No price table
 *   of ours: the month's spend is the sum of this month's days.
 *   Day keys are the gateway host's local date, and a GCE Debian image runs in UTC.
 *
 * JSON is read with the pinned Node (no jq on the image; same choice as guest-runtime-programs.ts).
 * The mapping functions take their files as arguments and call `openclaw` from PATH, so a test can
 * source this program and run them against a stand-in `openclaw` printing documented output.
 */
import { GUEST_PATHS, GUEST_PROGRAMS, OPENCLAW_CONFIG_PATH, OPENCLAW_HOME, OPENCLAW_STATE_DIR, OPENCLAW_USER } from './guest-layout.js';
import { LOG_FUNCTION, program, type GuestProgram } from './guest-program.js';
import { CHANNEL_KINDS } from './runtime-profile.js';

/** Seconds any one OpenClaw call may take before it is killed; the timer's next run comes anyway. */
export const OPENCLAW_CALL_TIMEOUT_SECONDS = 40;
/** OpenClaw's own gateway RPC deadline (`--timeout <ms>`), inside ours so it can fail cleanly first. */
const GATEWAY_RPC_TIMEOUT_MS = 30_000;
/** Days of usage asked for: always covers the whole current month. */
const USAGE_DAYS = 31;

/**
 * argv: status JSON, runtime config (channels.<kind>.enabled), output. The state of a channel is that of
 * its best account: connected over pairing over failed over unconfigured. No single quotes: it sits in one.
 */
const CHANNELS_JS = [
  'const fs = require("fs");',
  'const s = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));',
  'const cfg = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));',
  'if (typeof s !== "object" || s === null || typeof s.channelAccounts !== "object" || s.channelAccounts === null) process.exit(3);',
  `const kinds = ${JSON.stringify(CHANNEL_KINDS)}.filter((k) => cfg.channels && cfg.channels[k] && cfg.channels[k].enabled === true);`,
  'const rank = { unconfigured: 0, failed: 1, pairing: 2, connected: 3 };',
  'const stateOf = (a) => {',
  '  if (a.configured !== true) return "unconfigured";',
  '  if (a.connected === true) return "connected";',
  '  if (typeof a.lastError === "string" && a.lastError !== "") return "failed";',
  '  if (a.linked === false) return "pairing";',
  '  if (a.running === true && a.connected === undefined) return "connected";',
  '  return "failed";',
  '};',
  'const out = {};',
  'for (const k of kinds) {',
  '  const accounts = Array.isArray(s.channelAccounts[k]) ? s.channelAccounts[k].filter((a) => typeof a === "object" && a !== null) : [];',
  '  out[k] = accounts.map(stateOf).reduce((best, st) => (rank[st] > rank[best] ? st : best), "unconfigured");',
  '}',
  'fs.writeFileSync(process.argv[3], JSON.stringify(out) + "\\n");',
].join('\n');

/**
 * argv: usage-cost JSON, month (YYYY-MM), output. Sums the month's days; anything malformed exits 3.
 * Usage OpenClaw has no price for is said on the console (the spend is then too low), never guessed.
 */
const SPEND_JS = [
  'const fs = require("fs");',
  'const u = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));',
  'const month = process.argv[2];',
  'if (!/^[0-9]{4}-[0-9]{2}$/.test(month) || typeof u !== "object" || u === null || !Array.isArray(u.daily)) process.exit(3);',
  'let tokens = 0, usd = 0, unpriced = 0;',
  'for (const d of u.daily) {',
  '  if (typeof d !== "object" || d === null || typeof d.date !== "string") process.exit(3);',
  '  if (!d.date.startsWith(month + "-")) continue;',
  '  const t = d.totalTokens ?? 0, c = d.totalCost ?? 0;',
  '  if (!Number.isFinite(t) || t < 0 || !Number.isFinite(c) || c < 0) process.exit(3);',
  '  tokens += t; usd += c;',
  '  if (Number.isInteger(d.missingCostEntries)) unpriced += d.missingCostEntries;',
  '}',
  'if (unpriced > 0) console.log("agents-plane: report: " + unpriced + " usage entries this month have no price in OpenClaw; OpenClaw counts them as 0 USD");',
  'fs.writeFileSync(process.argv[3], JSON.stringify({ month, tokens: Math.round(tokens), usd: Math.round(usd * 10000) / 10000 }) + "\\n");',
].join('\n');

export function reportProgram(): GuestProgram {
  return program(
    GUEST_PROGRAMS.report,
    "Writes this month's spend and the profile's channel states from OpenClaw's own reports, for the heartbeat to publish.",
    `
set -uo pipefail
${LOG_FUNCTION}

readonly SPEND_FILE='${GUEST_PATHS.spendFile}'
readonly CHANNELS_FILE='${GUEST_PATHS.channelsFile}'
readonly RUNTIME_CONFIG='${GUEST_PATHS.runtimeOpenclawConfig}'
readonly CALL_TIMEOUT=${OPENCLAW_CALL_TIMEOUT_SECONDS}
# Prefix for every OpenClaw call; empty when sourced by a test, the openclaw user when run (main).
OPENCLAW_AS=()

# Runs the OpenClaw CLI, bounded; its output goes to $1. stderr is dropped: it may echo config.
openclaw_json() {
  local out=$1
  shift
  timeout --kill-after=5 "$CALL_TIMEOUT" "\${OPENCLAW_AS[@]}" openclaw "$@" > "$out" 2>/dev/null
}

# Writes $3 from $1 with the Node mapping $2 (argv: input, extra, temp), by rename; on failure $3 stays.
write_mapped() {
  local script=$1 extra=$2 target=$3 input=$4
  if node -e "$script" "$input" "$extra" "$target.new"; then
    mv -f -- "$target.new" "$target"
  else
    rm -f -- "$target.new"
    return 1
  fi
}

# report_from WHAT MAPPING EXTRA TARGET OPENCLAW-ARGS...: runs OpenClaw, maps its JSON into TARGET.
report_from() {
  local what=$1 script=$2 extra=$3 target=$4 work
  shift 4
  work=$(mktemp) || return 1
  if ! openclaw_json "$work" "$@"; then
    log "report: openclaw $* failed; $what unchanged"
  elif ! write_mapped "$script" "$extra" "$target" "$work" 2>/dev/null; then
    log "report: unexpected output from openclaw $*; $what unchanged"
  else
    rm -f -- "$work"
    return 0
  fi
  rm -f -- "$work"
  return 1
}

# report_channels RUNTIME_CONFIG CHANNELS_FILE: one state per channel the applied profile enables.
report_channels() {
  [[ -r $1 ]] || return 0
  report_from 'channel states' '${CHANNELS_JS}' "$1" "$2" channels status --json --timeout ${GATEWAY_RPC_TIMEOUT_MS}
}

# report_spend MONTH SPEND_FILE: tokens and estimated USD of MONTH (YYYY-MM, UTC) so far.
report_spend() {
  report_from spend '${SPEND_JS}' "$1" "$2" gateway usage-cost --days ${USAGE_DAYS} --json --timeout ${GATEWAY_RPC_TIMEOUT_MS}
}

main() {
  OPENCLAW_AS=(runuser -u '${OPENCLAW_USER}' -- env HOME='${OPENCLAW_HOME}' OPENCLAW_STATE_DIR='${OPENCLAW_STATE_DIR}'
    OPENCLAW_CONFIG_PATH='${OPENCLAW_CONFIG_PATH}' PATH='${GUEST_PATHS.openclawCurrent}/bin:${GUEST_PATHS.node}/bin:/usr/bin:/bin')
  # runuser is in /usr/sbin.
  export PATH='${GUEST_PATHS.node}/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  mkdir -p -- '${GUEST_PATHS.run}'
  local status=0
  report_channels "$RUNTIME_CONFIG" "$CHANNELS_FILE" || status=1
  report_spend "$(date -u +%Y-%m)" "$SPEND_FILE" || status=1
  return "$status"
}

# Sourced (tests): functions only.
if [[ \${BASH_SOURCE[0]} == "$0" ]]; then main; fi
`,
  );
}
