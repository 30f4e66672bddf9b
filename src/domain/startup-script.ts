/**
 * The startup script of an agent's VM, rendered from the agent's spec. GCE runs it as root at every boot
 * (Debian 12), so every step is idempotent: it installs the pinned Node and OpenClaw, creates the
 * dedicated user, fetches the agent's secrets from Secret Manager (never from metadata) into a root-only
 * environment file, applies the plane-managed part of OpenClaw's config, installs the gateway, heartbeat
 * and version-follower units, and starts them. Progress lines go to stdout, which the GCE script runner
 * copies to the serial console (what `planes logs` reads).
 *
 * Injection safety: user-derived values (project, names, owner, versions, secret names) appear exactly
 * once, in the single-quoted assignments between the "rendered inputs" markers, after being validated
 * again here with the same rules as the CLI. Everything else in the script is built from constants.
 */
import { GUEST_ATTRIBUTES, GUEST_NAMESPACE, HEARTBEAT_INTERVAL_SECONDS, METADATA } from './guest-contract.js';
import { guestPrograms, VERSION_PATTERN_ERE } from './guest-helpers.js';
import {
  GUEST_PATHS,
  GUEST_PROGRAMS,
  GUEST_UNITS,
  METADATA_SERVER,
  OPENCLAW_CONFIG_PATH,
  OPENCLAW_HOME,
  OPENCLAW_STATE_DIR,
  OPENCLAW_USER,
  SECRET_MANAGER_API,
} from './guest-layout.js';
import { InvalidInputError } from './invalid-input.js';
import { parseAgentName, parseAgentVersion, parseOwnerEmail, parsePlaneName, parseProjectId, parseSecretKey } from './names.js';
import { buildOpenClawConfig, GATEWAY_TOKEN_ENV_VAR, MANAGED_REPLACE_PATHS } from './openclaw-config.js';
import { shellSingleQuote } from './shell-literal.js';
import { agentUnits } from './systemd-units.js';

/** A Node release for linux-x64, pinned by the SHA-256 of its official tarball. */
export interface NodeRuntime {
  /** e.g. "24.21.0" (major 22 or later). */
  readonly version: string;
  /** SHA-256 of node-v<version>-linux-x64.tar.gz, from https://nodejs.org/dist/v<version>/SHASUMS256.txt. */
  readonly linuxX64TarGzSha256: string;
}

/**
 * Node 24 LTS, the line OpenClaw 2026.9.x requires (engines ">=24.16.0 <25 || >=26.1.0"), and the
 * version the project itself runs on. Installed from nodejs.org's official tarball rather than
 * NodeSource: no third-party apt repository or signing key on the VM, and an exact version whose bytes
 * are pinned here, not whatever a repository serves that day. Checksum: the node-v24.21.0-linux-x64.tar.gz
 * line of SHASUMS256.txt for v24.21.0, cross-checked against several independent public pins of it.
 */
export const DEFAULT_NODE_RUNTIME: NodeRuntime = {
  version: '24.21.0',
  linuxX64TarGzSha256: '6e1db87ef58b8819e5d5402eff1536491b18edd8eb7bee5ef7897876e88dc5ff',
};

export interface StartupScriptSecret {
  /** Environment variable the gateway sees it as (TELEGRAM_BOT_TOKEN, ANTHROPIC_API_KEY, ...). */
  readonly envVar: string;
  /** Full Secret Manager name: projects/<project>/secrets/<secret-id>. */
  readonly secretName: string;
}

export interface StartupScriptInput {
  readonly project: string;
  readonly plane: string;
  readonly agent: string;
  /** The owner's email (shown in the boot log only; access is IAM's business, not the guest's). */
  readonly owner: string;
  /**
   * The OpenClaw version (npm) this script installs when the `agents-plane-agent-version` metadata key
   * is absent or invalid; the key wins when present, so in-place upgrades survive a reboot.
   */
  readonly agentVersion: string;
  /** Defaults to DEFAULT_NODE_RUNTIME. */
  readonly node?: NodeRuntime;
  /** Must include OPENCLAW_GATEWAY_TOKEN: the gateway refuses connections without a token. */
  readonly secrets: readonly StartupScriptSecret[];
  /** Defaults to HEARTBEAT_INTERVAL_SECONDS (guest-contract.ts). */
  readonly heartbeatIntervalSeconds?: number;
}

/** Heredoc delimiter of every file the script writes; no embedded line may equal it. */
const FILE_DELIMITER = 'AGENTS_PLANE_FILE';
export const RENDERED_INPUTS_BEGIN = '# --- rendered inputs (validated, single-quoted) ---';
export const RENDERED_INPUTS_END = '# --- end of rendered inputs ---';

const SECRET_NAME = /^projects\/([a-z][a-z0-9-]{4,28}[a-z0-9])\/secrets\/([A-Za-z0-9_-]{1,255})$/;
const NODE_VERSION = /^(\d{1,3})\.(\d{1,4})\.(\d{1,4})$/;
const SHA256 = /^[0-9a-f]{64}$/;
const MIN_HEARTBEAT_SECONDS = 5;
const MAX_HEARTBEAT_SECONDS = 3600;

interface ValidatedInput {
  readonly project: string;
  readonly plane: string;
  readonly agent: string;
  readonly owner: string;
  readonly agentVersion: string;
  readonly node: NodeRuntime;
  readonly secrets: readonly StartupScriptSecret[];
  readonly heartbeatIntervalSeconds: number;
}

const FIELD = 'startup script';

function validate(input: StartupScriptInput): ValidatedInput {
  const field = (name: string) => `${FIELD} ${name}`;
  const node = input.node ?? DEFAULT_NODE_RUNTIME;
  const nodeVersion = NODE_VERSION.exec(String(node.version));
  if (!nodeVersion || Number(nodeVersion[1]) < 22) {
    throw new InvalidInputError(field('node.version'), 'must be an exact Node release of major 22 or later, such as 24.21.0');
  }
  if (!SHA256.test(String(node.linuxX64TarGzSha256))) {
    throw new InvalidInputError(field('node.linuxX64TarGzSha256'), 'must be 64 lowercase hex digits');
  }
  const interval = input.heartbeatIntervalSeconds ?? HEARTBEAT_INTERVAL_SECONDS;
  if (!Number.isInteger(interval) || interval < MIN_HEARTBEAT_SECONDS || interval > MAX_HEARTBEAT_SECONDS) {
    throw new InvalidInputError(
      field('heartbeatIntervalSeconds'),
      `must be a whole number of seconds from ${MIN_HEARTBEAT_SECONDS} to ${MAX_HEARTBEAT_SECONDS}`,
    );
  }
  if (!Array.isArray(input.secrets)) throw new InvalidInputError(field('secrets'), 'must be a list');
  const seen = new Set<string>();
  const secrets = input.secrets.map((secret, i) => {
    const envVar = parseSecretKey(secret?.envVar, field(`secrets[${i}].envVar`));
    if (seen.has(envVar)) throw new InvalidInputError(field(`secrets[${i}].envVar`), `${envVar} is listed twice`);
    seen.add(envVar);
    if (typeof secret.secretName !== 'string' || !SECRET_NAME.test(secret.secretName)) {
      throw new InvalidInputError(field(`secrets[${i}].secretName`), 'must be a Secret Manager name projects/<project-id>/secrets/<secret-id>');
    }
    return { envVar, secretName: secret.secretName };
  });
  if (!seen.has(GATEWAY_TOKEN_ENV_VAR)) {
    throw new InvalidInputError(field('secrets'), `must include ${GATEWAY_TOKEN_ENV_VAR}: the gateway uses token auth`);
  }
  const owner = parseOwnerEmail(input.owner, field('owner'));
  if (owner !== input.owner) throw new InvalidInputError(field('owner'), 'must already be normalised (trimmed, lowercase)');
  return {
    project: parseProjectId(input.project, field('project')),
    plane: parsePlaneName(input.plane, field('plane')),
    agent: parseAgentName(input.agent, field('agent')),
    owner,
    agentVersion: parseAgentVersion(input.agentVersion, field('agentVersion')),
    node: { version: node.version, linuxX64TarGzSha256: node.linuxX64TarGzSha256 },
    secrets,
    heartbeatIntervalSeconds: interval,
  };
}

/** `write_file PATH MODE` fed by a quoted heredoc: the content is never expanded by bash. */
function embeddedFile(path: string, mode: string, content: string): string {
  const lines = content.replace(/\n$/, '').split('\n');
  if (lines.includes(FILE_DELIMITER)) throw new Error(`embedded file ${path} contains the heredoc delimiter line`);
  return [`write_file '${path}' ${mode} <<'${FILE_DELIMITER}'`, ...lines, FILE_DELIMITER].join('\n');
}

function renderedInputs(v: ValidatedInput): string {
  const q = (name: string, value: string) => shellSingleQuote(`${FIELD} ${name}`, value);
  const list = (name: string, values: readonly string[]) => `(${values.map((value) => q(name, value)).join(' ')})`;
  return [
    RENDERED_INPUTS_BEGIN,
    `readonly PROJECT=${q('project', v.project)}`,
    `readonly PLANE=${q('plane', v.plane)}`,
    `readonly AGENT=${q('agent', v.agent)}`,
    `readonly OWNER=${q('owner', v.owner)}`,
    `readonly PINNED_OPENCLAW_VERSION=${q('agentVersion', v.agentVersion)}`,
    `readonly NODE_VERSION=${q('node.version', v.node.version)}`,
    `readonly NODE_SHA256=${q('node.linuxX64TarGzSha256', v.node.linuxX64TarGzSha256)}`,
    `readonly SECRET_ENV_VARS=${list('secrets.envVar', v.secrets.map((s) => s.envVar))}`,
    `readonly SECRET_NAMES=${list('secrets.secretName', v.secrets.map((s) => s.secretName))}`,
    RENDERED_INPUTS_END,
  ].join('\n');
}

/**
 * The script body. In this template `${...}` interpolates TypeScript constants; bash expansions are
 * written `$name` or `\${...}`, and a backslash meant for bash is doubled.
 */
function body(v: ValidatedInput): string {
  const managedConfig = `${JSON.stringify(buildOpenClawConfig(), null, 2)}\n`;
  const files = [
    ...guestPrograms().map((p) => embeddedFile(p.path, '0755', p.text)),
    ...agentUnits(v.heartbeatIntervalSeconds).map((u) => embeddedFile(`/etc/systemd/system/${u.name}`, '0644', u.text)),
  ].join('\n\n');
  const replacePaths = MANAGED_REPLACE_PATHS.map((p) => `--replace-path '${p}'`).join(' ');

  return `
# Overridable only so the unit tests can point the secret fetch at a local stand-in server.
METADATA_URL='${METADATA_SERVER}'
SECRET_MANAGER_URL='${SECRET_MANAGER_API}'
ENV_FILE='${GUEST_PATHS.envFile}'
# IAM grants take minutes to reach Secret Manager: a 403 right after creation is normal.
SECRET_DEADLINE_SECONDS=900
RETRY_FIRST_DELAY_SECONDS=2
RETRY_MAX_DELAY_SECONDS=30

readonly VERSION_PATTERN='${VERSION_PATTERN_ERE}'
readonly TOKEN_PATTERN='"access_token"[[:space:]]*:[[:space:]]*"([^"]+)"'
readonly DATA_PATTERN='"data"[[:space:]]*:[[:space:]]*"([A-Za-z0-9+/=]*)"'
readonly GATEWAY_TOKEN_ENV_VAR='${GATEWAY_TOKEN_ENV_VAR}'
readonly NODE_LINK='${GUEST_PATHS.node}'
readonly PHASE_FILE='${GUEST_PATHS.phaseFile}'
readonly MANAGED_CONFIG='${GUEST_PATHS.managedOpenclawConfig}'

log() { printf 'agents-plane: %s\\n' "$*"; }

on_error() {
  local status=$? line=$1
  log "bootstrap failed at line $line (exit $status); the heartbeat now reports failing"
  printf 'failed\\n' > "$PHASE_FILE" || true
}

# Writes stdin to PATH with MODE by rename, so a reader never sees half a file; an unchanged file is
# left alone.
write_file() {
  local path=$1 mode=$2 tmp
  tmp=$(mktemp "$path.XXXXXX")
  cat > "$tmp"
  chmod "$mode" "$tmp"
  if [[ -f $path ]] && cmp -s -- "$tmp" "$path"; then
    rm -f -- "$tmp"
  else
    mv -f -- "$tmp" "$path"
  fi
}

prepare_directories() {
  install -d -m 0755 -o root -g root '${GUEST_PATHS.root}' '${GUEST_PATHS.bin}' '${GUEST_PATHS.openclawVersions}' \\
    '${GUEST_PATHS.etc}' '${GUEST_PATHS.run}'
  install -d -m 0700 -o root -g root '${GUEST_PATHS.cache}'
  printf 'starting\\n' > "$PHASE_FILE"
}

install_programs_and_units() {
${indent(files)}
  systemctl daemon-reload
  # Enabled, so after a reboot heartbeats flow before this script even starts.
  systemctl enable --now '${GUEST_UNITS.heartbeatTimer}'
}

ensure_node() {
  local dir="${GUEST_PATHS.root}/node-v$NODE_VERSION-linux-x64" archive tool
  if [[ $(uname -m) != x86_64 ]]; then
    log "unsupported architecture $(uname -m): the pinned Node build is linux-x64"
    return 1
  fi
  if [[ -x $dir/bin/node && $("$dir/bin/node" --version) == "v$NODE_VERSION" ]]; then
    log "Node $NODE_VERSION is already installed"
  else
    log "installing Node $NODE_VERSION (official linux-x64 build, SHA-256 pinned)"
    archive=$(mktemp '${GUEST_PATHS.cache}/node.XXXXXX')
    curl --fail --silent --show-error --location --retry 10 --retry-all-errors --retry-delay 3 --max-time 600 \\
      --output "$archive" "https://nodejs.org/dist/v$NODE_VERSION/node-v$NODE_VERSION-linux-x64.tar.gz"
    if ! printf '%s  %s\\n' "$NODE_SHA256" "$archive" | sha256sum --check --status; then
      rm -f -- "$archive"
      log "the Node $NODE_VERSION archive does not match its pinned SHA-256; refusing to install it"
      return 1
    fi
    rm -rf -- "$dir.partial"
    mkdir -p -- "$dir.partial"
    tar --extract --gzip --file "$archive" --directory "$dir.partial" --strip-components=1 --no-same-owner
    rm -f -- "$archive"
    rm -rf -- "$dir"
    mv -- "$dir.partial" "$dir"
  fi
  ln -sfn -- "$dir" "$NODE_LINK.new"
  mv -Tf -- "$NODE_LINK.new" "$NODE_LINK"
  for tool in node npm npx; do
    ln -sfn -- "$NODE_LINK/bin/$tool" "/usr/local/bin/$tool"
  done
}

ensure_user() {
  if id -u '${OPENCLAW_USER}' > /dev/null 2>&1; then
    log "user ${OPENCLAW_USER} already exists"
  else
    log "creating the system user ${OPENCLAW_USER}"
    useradd --system --user-group --home-dir '${OPENCLAW_HOME}' --shell /usr/sbin/nologin '${OPENCLAW_USER}'
  fi
  install -d -m 0700 -o '${OPENCLAW_USER}' -g '${OPENCLAW_USER}' '${OPENCLAW_HOME}' '${OPENCLAW_STATE_DIR}'
}

# The metadata key wins over the rendered pin: upgrades change the key, not this script.
desired_version() {
  local value
  value=$(curl --silent --fail --max-time 10 --retry 5 --retry-connrefused --header 'Metadata-Flavor: Google' \\
    "$METADATA_URL/instance/attributes/${METADATA.agentVersion}" | tr -d '[:space:]') || value=''
  if [[ $value =~ $VERSION_PATTERN ]]; then
    printf '%s' "$value"
  else
    printf '%s' "$PINNED_OPENCLAW_VERSION"
  fi
}

ensure_openclaw() {
  local version attempt
  version=$(desired_version)
  for attempt in 1 2 3; do
    if '${GUEST_PROGRAMS.installOpenclaw}' "$version"; then
      return 0
    fi
    log "installing OpenClaw $version failed (attempt $attempt of 3)"
    if ((attempt < 3)); then sleep 30; fi
  done
  return 1
}

ACCESS_TOKEN=''

# The VM's service account token, from the metadata server. Never printed.
refresh_token() {
  local body
  ACCESS_TOKEN=''
  body=$(curl --silent --fail --max-time 10 --header 'Metadata-Flavor: Google' \\
    "$METADATA_URL/instance/service-accounts/default/token") || return 1
  [[ $body =~ $TOKEN_PATTERN ]] || return 1
  ACCESS_TOKEN=\${BASH_REMATCH[1]}
}

# Reads the latest version of secret NAME into SECRET_VALUE, retrying until epoch-of-SECONDS DEADLINE.
# Returns 0 when read, 2 when there is nothing usable to read (no version yet, or a value an
# environment file cannot hold), 1 when it still failed at the deadline. Never prints the value; the
# bearer token reaches curl on stdin, not on its command line.
read_secret() {
  local name=$1 deadline=$2 delay=$RETRY_FIRST_DELAY_SECONDS response status body data nul_bytes problem
  SECRET_VALUE=''
  while true; do
    problem=''
    if [[ -z $ACCESS_TOKEN ]] && ! refresh_token; then
      problem='no access token from the metadata server yet'
    else
      response=$(printf 'Authorization: Bearer %s\\n' "$ACCESS_TOKEN" | curl --silent --max-time 20 --header @- \\
        --write-out '\\n%{http_code}' "$SECRET_MANAGER_URL/$name/versions/latest:access") || response=$'\\n000'
      status=\${response##*$'\\n'}
      body=\${response%$'\\n'*}
      case $status in
        200)
          if [[ ! $body =~ $DATA_PATTERN ]]; then
            problem='an answer without a payload'
          else
            data=\${BASH_REMATCH[1]}
            if ! nul_bytes=$(printf '%s' "$data" | base64 --decode | tr -cd '\\000' | wc -c); then
              problem='a payload that is not valid base64'
            elif ((nul_bytes > 0)); then
              log "secret $name: the value contains NUL bytes, which an environment file cannot hold; skipped"
              return 2
            else
              # Command substitution drops trailing newlines, as left by \`echo value | ...\`.
              SECRET_VALUE=$(printf '%s' "$data" | base64 --decode)
              if [[ -z $SECRET_VALUE ]]; then
                log "secret $name: the latest version is empty; skipped"
                return 2
              fi
              if [[ $SECRET_VALUE == *[[:cntrl:]]* ]]; then
                SECRET_VALUE=''
                log "secret $name: the value contains line breaks or other control characters; skipped"
                return 2
              fi
              return 0
            fi
          fi
          ;;
        404)
          log "secret $name has no version yet; skipped (set it with planes secrets set, then restart the agent)"
          return 2
          ;;
        400)
          if [[ $body == *FAILED_PRECONDITION* ]]; then
            log "secret $name: its latest version is disabled or destroyed; skipped"
            return 2
          fi
          problem='HTTP 400'
          ;;
        401)
          ACCESS_TOKEN=''
          problem='HTTP 401 (token refreshed)'
          ;;
        403) problem='permission denied (normal for a few minutes while the IAM grant propagates)' ;;
        000) problem='no answer from Secret Manager' ;;
        *) problem="HTTP $status" ;;
      esac
    fi
    if ((SECONDS + delay > deadline)); then
      log "secret $name: still $problem after $SECRET_DEADLINE_SECONDS s; giving up for this boot"
      return 1
    fi
    log "secret $name: $problem; retrying in \${delay}s"
    sleep "$delay"
    delay=$((delay * 2 > RETRY_MAX_DELAY_SECONDS ? RETRY_MAX_DELAY_SECONDS : delay * 2))
  done
}

# KEY="value" in systemd's EnvironmentFile syntax: inside double quotes a backslash escapes \\ " $ and \`
# (systemd.exec(5), EnvironmentFile=); read_secret has already refused line breaks.
env_file_line() {
  local escaped
  escaped=$(printf '%s' "$2" | sed -e 's/[\\\\"$\`]/\\\\&/g')
  printf '%s="%s"\\n' "$1" "$escaped"
}

# Every secret of the agent into the gateway's environment file (root:root 0600). A secret that still
# fails at the deadline keeps the value it had at the previous boot, if any.
fetch_secrets() {
  local deadline=$((SECONDS + SECRET_DEADLINE_SECONDS)) lines=() i key name result previous have_token=no
  for i in "\${!SECRET_NAMES[@]}"; do
    key=\${SECRET_ENV_VARS[$i]}
    name=\${SECRET_NAMES[$i]}
    result=0
    read_secret "$name" "$deadline" || result=$?
    case $result in
      0)
        lines+=("$(env_file_line "$key" "$SECRET_VALUE")")
        log "secret $name: fetched as $key"
        [[ $key == "$GATEWAY_TOKEN_ENV_VAR" ]] && have_token=yes
        ;;
      2) ;;
      *)
        previous=$(grep -m 1 -- "^$key=" "$ENV_FILE" 2> /dev/null) || previous=''
        if [[ -n $previous ]]; then
          lines+=("$previous")
          log "secret $name: kept the value from the previous boot"
          [[ $key == "$GATEWAY_TOKEN_ENV_VAR" ]] && have_token=yes
        fi
        ;;
    esac
  done
  SECRET_VALUE=''
  write_file "$ENV_FILE" 0600 < <(printf '%s\\n' \${lines[@]+"\${lines[@]}"})
  if [[ $have_token != yes ]]; then
    log "no $GATEWAY_TOKEN_ENV_VAR: the gateway refuses to start until its token can be read"
  fi
}

# OpenClaw's own writer merges the plane-managed keys into the owner's config (creating it on first
# boot): objects merge, ${MANAGED_REPLACE_PATHS.join(', ')} is replaced whole, the owner's other settings stay.
apply_openclaw_config() {
${indent(embeddedFile(GUEST_PATHS.managedOpenclawConfig, '0644', managedConfig))}
  log "applying the plane-managed OpenClaw config (loopback bind, token auth)"
  runuser -u '${OPENCLAW_USER}' -- env HOME='${OPENCLAW_HOME}' OPENCLAW_STATE_DIR='${OPENCLAW_STATE_DIR}' \\
    OPENCLAW_CONFIG_PATH='${OPENCLAW_CONFIG_PATH}' PATH="$NODE_LINK/bin:/usr/bin:/bin" \\
    '${GUEST_PATHS.openclawCurrent}/bin/openclaw' config patch --file "$MANAGED_CONFIG" ${replacePaths}
}

main() {
  trap 'on_error $LINENO' ERR
  log "bootstrap of agent $AGENT (plane $PLANE, project $PROJECT, owner $OWNER) starting"
  prepare_directories
  install_programs_and_units
  ensure_node
  ensure_user
  ensure_openclaw
  fetch_secrets
  apply_openclaw_config
  if ! '${GUEST_PROGRAMS.applyRuntime}'; then
    log "the runtime profile could not be applied; the runtime follower tries again"
  fi
  if ! '${GUEST_PROGRAMS.restartGateway}'; then
    log "the gateway did not become healthy; the heartbeat reports failing until it does"
  fi
  systemctl restart '${GUEST_UNITS.versionFollower}'
  systemctl restart '${GUEST_UNITS.runtimeFollower}'
  # Spend and channel states from OpenClaw itself, once the gateway serves them.
  systemctl restart '${GUEST_UNITS.reportTimer}'
  log "bootstrap complete: heartbeat every ${v.heartbeatIntervalSeconds}s to guest attributes ${GUEST_NAMESPACE}/{${Object.values(GUEST_ATTRIBUTES).join(',')}}"
}

# Run when executed (as GCE does); only define the functions when sourced (as the unit tests do).
if [[ \${BASH_SOURCE[0]} == "$0" ]]; then
  main
fi
`;
}

function indent(text: string): string {
  // Heredoc bodies must stay at column 0 (a quoted heredoc keeps leading spaces in the file), so only
  // the command lines that open them are indented.
  return text
    .split('\n')
    .map((line) => (line.startsWith('write_file ') ? `  ${line}` : line))
    .join('\n');
}

export function renderStartupScript(input: StartupScriptInput): string {
  const v = validate(input);
  const header = [
    '#!/bin/bash',
    `# Agents Plane: boot script of an OpenClaw agent VM (Debian 12), rendered from the agent's spec.`,
    '# Runs as root at every boot; every step is idempotent. Never enable xtrace: it would print secrets.',
    'set -Eeuo pipefail',
    'umask 022',
    'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  ].join('\n');
  return `${header}\n\n${renderedInputs(v)}\n${body(v)}`;
}
