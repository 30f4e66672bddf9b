/**
 * The small programs the startup script installs in /opt/agents-plane/bin and the units run: install an
 * OpenClaw version, restart the gateway and wait for its health check, publish one heartbeat, follow
 * the version in metadata. Bash, like the startup script, and built from constants only (paths, port,
 * metadata keys from guest-contract.ts), so no user input reaches them.
 *
 * In the templates below `${...}` is a TypeScript interpolation of a constant; bash's own expansions are
 * written `$name` or `\${...}`.
 */
import { GUEST_ATTRIBUTES, GUEST_NAMESPACE, METADATA } from './guest-contract.js';
import { GUEST_PATHS, GUEST_PROGRAMS, GUEST_UNITS, METADATA_SERVER, OPENCLAW_STATE_DIR } from './guest-layout.js';
import { GATEWAY_PORT } from './openclaw-config.js';
import { applyRuntimeProgram, followRuntimeProgram } from './guest-runtime-programs.js';
import { reportProgram } from './guest-report-program.js';
import { LOG_FUNCTION, program, type GuestProgram } from './guest-program.js';

export type { GuestProgram } from './guest-program.js';

/** Same rule as parseAgentVersion (names.ts), as a bash ERE. */
export const VERSION_PATTERN_ERE = '^[0-9]{1,6}[.][0-9]{1,6}[.][0-9]{1,6}(-[0-9A-Za-z.-]{1,40})?$';

const HEALTH_URL = `http://127.0.0.1:${GATEWAY_PORT}/healthz`;

/** Writes a value to a file by rename, so readers never see half a value. */
const SET_FILE_FUNCTION = `set_file() { printf '%s\\n' "$2" > "$1.new" && mv -f -- "$1.new" "$1"; }`;

function installOpenclaw(): GuestProgram {
  return program(
    GUEST_PROGRAMS.installOpenclaw,
    'Usage: agents-plane-install-openclaw VERSION. Installs OpenClaw VERSION from npm (once per version) and makes it current; the caller restarts the gateway.',
    `
set -euo pipefail
${LOG_FUNCTION}
${SET_FILE_FUNCTION}

readonly VERSIONS_DIR='${GUEST_PATHS.openclawVersions}'
readonly CURRENT_LINK='${GUEST_PATHS.openclawCurrent}'
readonly NODE_DIR='${GUEST_PATHS.node}'
readonly CACHE_DIR='${GUEST_PATHS.cache}'
readonly RUN_DIR='${GUEST_PATHS.run}'
readonly VERSION_FILE='${GUEST_PATHS.versionFile}'
readonly LOCK_FILE='${GUEST_PATHS.installLock}'
readonly VERSION_PATTERN='${VERSION_PATTERN_ERE}'
# Written last: a directory without it is a partial install and is redone.
readonly INSTALLED_MARKER='.agents-plane-installed'

version=\${1-}
if [[ ! $version =~ $VERSION_PATTERN ]]; then
  log "install-openclaw: refusing version '\${version//[^[:alnum:].-]/?}': not an exact version such as 2026.9.6"
  exit 2
fi

mkdir -p -- "$VERSIONS_DIR" "$CACHE_DIR" "$RUN_DIR"
# The startup script and the version follower never install at the same time.
exec 9>"$LOCK_FILE"
flock 9

export PATH="$NODE_DIR/bin:$PATH"
# npm and OpenClaw's CLI keep their caches here rather than in root's home.
export HOME="$CACHE_DIR" npm_config_cache="$CACHE_DIR/npm"

target="$VERSIONS_DIR/$version"
if [[ -f "$target/$INSTALLED_MARKER" ]]; then
  log "OpenClaw $version is already installed"
else
  log "installing OpenClaw $version from npm"
  rm -rf -- "$target"
  mkdir -p -- "$target"
  # --allow-scripts: npm 11.16+ asks for OpenClaw's own install scripts to be allowed by name.
  if ! npm install --global --prefix "$target" --no-audit --no-fund --no-update-notifier --no-progress \\
      --loglevel=warn --allow-scripts=openclaw "openclaw@$version"; then
    rm -rf -- "$target"
    log "npm install of OpenClaw $version failed"
    exit 1
  fi
fi

reported=$("$target/bin/openclaw" --version) || reported=''
if [[ ! $reported =~ ([0-9]+[.][0-9]+[.][0-9]+(-[0-9A-Za-z.-]+)?) || \${BASH_REMATCH[1]} != "$version" ]]; then
  rm -rf -- "$target"
  log "OpenClaw $version did not report its own version after install; removed it"
  exit 1
fi
touch -- "$target/$INSTALLED_MARKER"

previous=$(readlink -- "$CURRENT_LINK") || previous=''
if [[ $previous != "$target" ]]; then
  ln -sfn -- "$target" "$CURRENT_LINK.new"
  mv -Tf -- "$CURRENT_LINK.new" "$CURRENT_LINK"
  was=none
  if [[ -n $previous ]]; then was=\${previous##*/}; fi
  log "OpenClaw $version is now current (was $was)"
fi
set_file "$VERSION_FILE" "$version"

# Keep the current and the previous version (a rollback is then only a switch); drop the rest.
for dir in "$VERSIONS_DIR"/*; do
  name=\${dir##*/}
  [[ $name =~ $VERSION_PATTERN ]] || continue
  [[ $dir == "$target" || $dir == "$previous" ]] && continue
  log "removing OpenClaw $name (neither current nor previous)"
  rm -rf -- "$dir"
done
`,
  );
}

function restartGateway(): GuestProgram {
  return program(
    GUEST_PROGRAMS.restartGateway,
    'Restarts the OpenClaw gateway and waits for its loopback health check; the heartbeat reports starting meanwhile.',
    `
set -euo pipefail
${LOG_FUNCTION}
${SET_FILE_FUNCTION}

readonly PHASE_FILE='${GUEST_PATHS.phaseFile}'
readonly HEALTH_URL='${HEALTH_URL}'
readonly GATEWAY_UNIT='${GUEST_UNITS.gateway}'
readonly STATE_DIR='${OPENCLAW_STATE_DIR}'
readonly STATE_FORMAT_FILE='${GUEST_PATHS.stateFormatFile}'
# A cold start on a small VM loads the gateway's plugins for well over a minute.
readonly WAIT_SECONDS=300

# The state format the heartbeat publishes: a digest of the state directory's layout (entry names and
# types two levels deep, not their contents; workspace, logs, backups and temporary files left out). A
# version that migrates its stores on start (sessions into a database, a new directory scheme) changes
# it; new sessions and messages do not. An upgrade compares it to choose how to roll back.
record_state_format() {
  local format
  format=$(find "$STATE_DIR" -mindepth 1 -maxdepth 2 \\( -path "$STATE_DIR/workspace" -o -path "$STATE_DIR/logs" \\
    -o -name '*.bak*' -o -name '*.tmp' -o -name '*.lock' \\) -prune -o -printf '%P %y\\n' | LC_ALL=C sort | sha256sum) || return 0
  set_file "$STATE_FORMAT_FILE" "\${format:0:16}"
}

mkdir -p -- '${GUEST_PATHS.run}'
set_file "$PHASE_FILE" starting
log "restarting the OpenClaw gateway"
# From here on the heartbeat reports the real health check and the state as this start left it,
# whatever happens.
trap 'record_state_format; set_file "$PHASE_FILE" running' EXIT
systemctl reset-failed "$GATEWAY_UNIT" 2>/dev/null || true
systemctl restart "$GATEWAY_UNIT"
deadline=$((SECONDS + WAIT_SECONDS))
until curl --silent --fail --max-time 3 --output /dev/null "$HEALTH_URL"; do
  if ((SECONDS >= deadline)); then
    log "gateway not healthy after \${WAIT_SECONDS}s (journalctl -u $GATEWAY_UNIT shows why)"
    exit 1
  fi
  sleep 2
done
log "gateway healthy on 127.0.0.1:${GATEWAY_PORT}"
`,
  );
}

function heartbeat(): GuestProgram {
  const key = GUEST_ATTRIBUTES;
  return program(
    GUEST_PROGRAMS.heartbeat,
    `Publishes one heartbeat as guest attributes (namespace ${GUEST_NAMESPACE}): ${key.health}, ${key.version}, ${key.stateFormat}, then ${key.heartbeat}.`,
    `
set -uo pipefail

readonly ATTRIBUTES_URL='${METADATA_SERVER}/instance/guest-attributes/${GUEST_NAMESPACE}'
readonly HEALTH_URL='${HEALTH_URL}'
readonly PHASE_FILE='${GUEST_PATHS.phaseFile}'
readonly VERSION_FILE='${GUEST_PATHS.versionFile}'
readonly STATE_FORMAT_FILE='${GUEST_PATHS.stateFormatFile}'
# JSON reports written by the runtime profile's programs and agents-plane-report, published as they are.
readonly RUNTIME_FILE='${GUEST_PATHS.appliedRuntimeFile}'
readonly SPEND_FILE='${GUEST_PATHS.spendFile}'
readonly CHANNELS_FILE='${GUEST_PATHS.channelsFile}'
# RuntimeDirectory= of the unit; survives between runs.
readonly LAST_HEALTH_FILE="\${RUNTIME_DIRECTORY:-/run/agents-plane-heartbeat}/last-health"

publish() {
  curl --silent --show-error --fail --max-time 5 --request PUT --header 'Metadata-Flavor: Google' \\
    --data-binary "$2" "$ATTRIBUTES_URL/$1"
}

# No phase yet means the startup script has not got as far as starting the gateway.
phase=starting
if [[ -r $PHASE_FILE ]]; then phase=$(<"$PHASE_FILE"); fi
case $phase in
  running)
    if curl --silent --fail --max-time 3 --output /dev/null "$HEALTH_URL"; then health=ok; else health=failing; fi
    ;;
  failed) health=failing ;;
  *) health=starting ;;
esac

version=''
if [[ -r $VERSION_FILE ]]; then version=$(<"$VERSION_FILE"); fi
# Recorded by the gateway restart (this unit's dynamic user cannot read OpenClaw's state itself).
state_format=''
if [[ -r $STATE_FORMAT_FILE ]]; then state_format=$(<"$STATE_FORMAT_FILE"); fi

# Only changes reach the serial console; a line every interval would drown everything else.
last=''
if [[ -r $LAST_HEALTH_FILE ]]; then last=$(<"$LAST_HEALTH_FILE"); fi
if [[ $health != "$last" ]]; then
  printf 'agents-plane: health %s -> %s\\n' "\${last:-unknown}" "$health"
  printf '%s\\n' "$health" > "$LAST_HEALTH_FILE" || true
fi

status=0
publish '${key.health}' "$health" || status=1
if [[ -n $version ]]; then publish '${key.version}' "$version" || status=1; fi
if [[ -n $state_format ]]; then publish '${key.stateFormat}' "$state_format" || status=1; fi
if [[ -r $RUNTIME_FILE ]]; then publish '${key.runtime}' "$(<"$RUNTIME_FILE")" || status=1; fi
if [[ -r $SPEND_FILE ]]; then publish '${key.spend}' "$(<"$SPEND_FILE")" || status=1; fi
if [[ -r $CHANNELS_FILE ]]; then publish '${key.channels}' "$(<"$CHANNELS_FILE")" || status=1; fi
# Last, so a fresh heartbeat implies the other two are fresh as well.
publish '${key.heartbeat}' "$(date +%s)" || status=1
exit "$status"
`,
  );
}

function followVersion(): GuestProgram {
  return program(
    GUEST_PROGRAMS.followVersion,
    `Follows the ${METADATA.agentVersion} instance metadata key and upgrades (or rolls back) in place when it changes.`,
    `
set -uo pipefail
${LOG_FUNCTION}
${SET_FILE_FUNCTION}

readonly VERSION_URL='${METADATA_SERVER}/instance/attributes/${METADATA.agentVersion}'
readonly CURRENT_LINK='${GUEST_PATHS.openclawCurrent}'
readonly PHASE_FILE='${GUEST_PATHS.phaseFile}'
readonly INSTALL='${GUEST_PROGRAMS.installOpenclaw}'
readonly RESTART='${GUEST_PROGRAMS.restartGateway}'
readonly VERSION_PATTERN='${VERSION_PATTERN_ERE}'
readonly WAIT_SECONDS=300

work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT

current_version() {
  local target
  target=$(readlink -- "$CURRENT_LINK") || return 0
  printf '%s' "\${target##*/}"
}

upgrade() {
  local desired=$1 current=$2
  log "${METADATA.agentVersion} is $desired, running \${current:-none}: installing in place"
  set_file "$PHASE_FILE" starting
  if ! "$INSTALL" "$desired"; then
    # The previous version is still installed and still serving.
    set_file "$PHASE_FILE" running
    return 1
  fi
  "$RESTART"
}

etag=''
while true; do
  # The first request returns at once with the current value and its ETag; later ones hang until the
  # value differs from that ETag or the timeout passes (the metadata server's wait_for_change).
  query=''
  if [[ -n $etag ]]; then query="?wait_for_change=true&timeout_sec=$WAIT_SECONDS&last_etag=$etag"; fi
  status=$(curl --silent --max-time $((WAIT_SECONDS + 30)) --header 'Metadata-Flavor: Google' \\
    --dump-header "$work/headers" --output "$work/body" --write-out '%{http_code}' "$VERSION_URL$query") || status=000
  case $status in
    200)
      etag=$(sed -n 's/^[Ee][Tt][Aa][Gg]:[[:space:]]*\\([0-9A-Za-z]*\\).*$/\\1/p' "$work/headers")
      desired=$(tr -d '[:space:]' < "$work/body")
      current=$(current_version)
      if [[ ! $desired =~ $VERSION_PATTERN ]]; then
        log "ignoring ${METADATA.agentVersion} '\${desired//[^[:alnum:].-]/?}': not an exact version"
      elif [[ $desired != "$current" ]]; then
        if upgrade "$desired" "$current"; then
          log "now running OpenClaw $desired"
        else
          log "upgrade to OpenClaw $desired failed; trying again in 60s"
          etag=''
          sleep 60
        fi
      fi
      ;;
    404)
      # No version key: keep what runs, look again later.
      etag=''
      sleep 60
      ;;
    *)
      sleep 10
      ;;
  esac
  # Never spin, whatever the metadata server does.
  sleep 1
done
`,
  );
}

export function guestPrograms(): readonly GuestProgram[] {
  return [installOpenclaw(), restartGateway(), heartbeat(), followVersion(), applyRuntimeProgram(), followRuntimeProgram(), reportProgram()];
}
