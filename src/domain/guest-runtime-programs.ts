/**
 * The VM side of the runtime profile (runtime-profile.ts): two programs the startup script installs.
 * - agents-plane-apply-runtime: reads the plane-rendered runtime config from metadata
 *   (`agents-plane-openclaw-runtime`: `{ digest, heartbeatSeconds, config }`), merges `config` into
 *   openclaw.json with OpenClaw's own writer (the lists it owns replaced whole), and records
 *   `{ digest, heartbeatSeconds }` for the heartbeat to publish. Run at every boot, before the gateway
 *   starts. No profile in metadata: nothing to do (the owner's config stays as it is).
 * - agents-plane-follow-runtime: waits on that metadata key (wait_for_change) and, when it changes,
 *   applies it and restarts the gateway: `planes update-agent` without a new VM.
 * Bash built from constants only, like guest-helpers.ts; JSON is split with the pinned Node.
 */
import { METADATA } from './guest-contract.js';
import { LOG_FUNCTION, program, type GuestProgram } from './guest-program.js';
import { GUEST_PATHS, GUEST_PROGRAMS, METADATA_SERVER, OPENCLAW_CONFIG_PATH, OPENCLAW_HOME, OPENCLAW_STATE_DIR, OPENCLAW_USER } from './guest-layout.js';
import { RUNTIME_REPLACE_PATHS } from './openclaw-config.js';

const RUNTIME_URL = `${METADATA_SERVER}/instance/attributes/${METADATA.openclawRuntime}`;

/** Validates the rendered value and splits it (argv: rendered, config out, applied out). No single quotes: it sits in one. */
const SPLIT_JS = [
  'const fs = require("fs");',
  'const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));',
  'if (typeof r.digest !== "string" || !/^[0-9a-f]{8}$/.test(r.digest) || !Number.isInteger(r.heartbeatSeconds) || typeof r.config !== "object" || r.config === null) process.exit(3);',
  'fs.writeFileSync(process.argv[2], JSON.stringify(r.config, null, 2) + "\\n");',
  'fs.writeFileSync(process.argv[3], JSON.stringify({ digest: r.digest, heartbeatSeconds: r.heartbeatSeconds }) + "\\n");',
].join(' ');

export function applyRuntimeProgram(): GuestProgram {
  const replacePaths = RUNTIME_REPLACE_PATHS.map((p) => `--replace-path '${p}'`).join(' ');
  return program(
    GUEST_PROGRAMS.applyRuntime,
    `Applies the runtime profile rendered by the plane (metadata ${METADATA.openclawRuntime}) to OpenClaw's config.`,
    `
set -euo pipefail
${LOG_FUNCTION}

readonly RUNTIME_URL='${RUNTIME_URL}'
readonly CONFIG_FILE='${GUEST_PATHS.runtimeOpenclawConfig}'
readonly APPLIED_FILE='${GUEST_PATHS.appliedRuntimeFile}'
readonly NODE='${GUEST_PATHS.node}/bin/node'

work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
status=$(curl --silent --max-time 10 --retry 5 --retry-connrefused --header 'Metadata-Flavor: Google' \\
  --output "$work/rendered" --write-out '%{http_code}' "$RUNTIME_URL") || status=000
case $status in
  200) ;;
  404)
    log "no runtime profile in metadata: OpenClaw keeps its own settings"
    exit 0
    ;;
  *)
    log "could not read the runtime profile from metadata (HTTP $status)"
    exit 1
    ;;
esac
if ! "$NODE" -e '${SPLIT_JS}' "$work/rendered" "$work/config.json" "$work/applied.json"; then
  log "the runtime profile in metadata is malformed; keeping the previous one"
  exit 1
fi
install -m 0644 -o root -g root "$work/config.json" "$CONFIG_FILE"
runuser -u '${OPENCLAW_USER}' -- env HOME='${OPENCLAW_HOME}' OPENCLAW_STATE_DIR='${OPENCLAW_STATE_DIR}' \\
  OPENCLAW_CONFIG_PATH='${OPENCLAW_CONFIG_PATH}' PATH="${GUEST_PATHS.node}/bin:/usr/bin:/bin" \\
  '${GUEST_PATHS.openclawCurrent}/bin/openclaw' config patch --file "$CONFIG_FILE" ${replacePaths}
install -m 0644 -o root -g root "$work/applied.json" "$APPLIED_FILE"
log "runtime profile applied: $(<"$APPLIED_FILE")"
`,
  );
}

export function followRuntimeProgram(): GuestProgram {
  return program(
    GUEST_PROGRAMS.followRuntime,
    `Follows the ${METADATA.openclawRuntime} instance metadata key: a new runtime profile is applied in place.`,
    `
set -uo pipefail
${LOG_FUNCTION}

readonly RUNTIME_URL='${RUNTIME_URL}'
readonly APPLIED_FILE='${GUEST_PATHS.appliedRuntimeFile}'
readonly APPLY='${GUEST_PROGRAMS.applyRuntime}'
readonly RESTART='${GUEST_PROGRAMS.restartGateway}'
readonly WAIT_SECONDS=300

work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT

# Applies the key's value; the gateway restarts only when the applied profile changed.
apply_if_changed() {
  local before=''
  if [[ -r $APPLIED_FILE ]]; then before=$(<"$APPLIED_FILE"); fi
  "$APPLY" || return 1
  if [[ -r $APPLIED_FILE && $(<"$APPLIED_FILE") != "$before" ]]; then
    log "runtime profile changed; restarting the gateway"
    "$RESTART"
  fi
}

etag=''
while true; do
  # First request: at once, with the ETag; later ones hang until the value changes (wait_for_change).
  query=''
  if [[ -n $etag ]]; then query="?wait_for_change=true&timeout_sec=$WAIT_SECONDS&last_etag=$etag"; fi
  status=$(curl --silent --max-time $((WAIT_SECONDS + 30)) --header 'Metadata-Flavor: Google' \\
    --dump-header "$work/headers" --output /dev/null --write-out '%{http_code}' "$RUNTIME_URL$query") || status=000
  if [[ $status == 200 ]]; then
    etag=$(sed -n 's/^[Ee][Tt][Aa][Gg]:[[:space:]]*\\([0-9A-Za-z]*\\).*$/\\1/p' "$work/headers")
    if ! apply_if_changed; then
      log "applying the runtime profile failed; trying again in 60s"
      etag=''
      sleep 60
    fi
  elif [[ $status == 404 ]]; then
    etag=''
    sleep 60
  else
    sleep 10
  fi
  # Never spin, whatever the metadata server does.
  sleep 1
done
`,
  );
}
