/**
 * The part of OpenClaw's config (`openclaw.json`) the plane owns on every agent: the gateway listens on
 * loopback only (the owner reaches it through an IAP SSH tunnel) and requires a token that is read from
 * the environment, so the file never holds a secret. Everything else in the file belongs to the owner.
 *
 * Schema source: the `openclaw` npm package, version 2026.9.6 (the pinned default), file
 * dist/zod-schema-B-u3AXjg.mjs: `OpenClawSchemaShape` (root, a strictObject), `GatewayConfigSchema`
 * (`gateway`, strict), its `auth` strictObject, and `update` (strict); SecretRef shapes in
 * dist/zod-schema.core-DyJd-bbI.mjs (`EnvSecretRefSchema`: source "env", provider /^[a-z][a-z0-9_-]{0,63}$/,
 * id /^[A-Z][A-Z0-9_]{0,127}$/). Docs in the same package: docs/gateway/config-gateway.md,
 * docs/gateway/config-secrets-env.md. Strict objects reject unknown keys and the gateway refuses to start
 * on an invalid config, so this builder emits only keys those schemas declare (the unit test pins them).
 */

/** OpenClaw's default gateway port (docs/gateway/config-gateway.md). */
export const GATEWAY_PORT = 18789;

/**
 * The environment variable carrying the gateway token. It is also the name OpenClaw itself falls back
 * to, and the key of the secret the plane generates for every agent (specs.ts GENERATED_SECRET_KEYS).
 */
export const GATEWAY_TOKEN_ENV_VAR = 'OPENCLAW_GATEWAY_TOKEN';

/**
 * Config paths the plane replaces wholesale at every boot (`openclaw config patch --replace-path`), so no
 * stale password or other auth mode survives next to the token. Other plane-owned keys merge.
 */
export const MANAGED_REPLACE_PATHS: readonly string[] = ['gateway.auth'];

/** `{ source: "env", provider, id }`: resolved from the process environment when the gateway starts. */
export interface EnvSecretRef {
  readonly source: 'env';
  readonly provider: 'default';
  readonly id: string;
}

export interface ManagedOpenClawConfig {
  readonly gateway: {
    /** "local" runs the gateway; without it `openclaw gateway run` refuses to start. */
    readonly mode: 'local';
    readonly port: number;
    /** 127.0.0.1 (and ::1) only. */
    readonly bind: 'loopback';
    readonly auth: {
      readonly mode: 'token';
      readonly token: EnvSecretRef;
    };
  };
  readonly update: {
    /** The plane pins and rolls out versions; OpenClaw must neither look for nor apply updates itself. */
    readonly checkOnStart: false;
    readonly auto: { readonly enabled: false };
  };
}

/**
 * The plane-managed config. A SecretRef rather than a `${VAR}` string: an unresolved ref fails closed at
 * startup (docs/gateway/config-gateway.md), while an unresolved substitution only warns.
 */
export function buildOpenClawConfig(): ManagedOpenClawConfig {
  return {
    gateway: {
      mode: 'local',
      port: GATEWAY_PORT,
      bind: 'loopback',
      auth: {
        mode: 'token',
        token: { source: 'env', provider: 'default', id: GATEWAY_TOKEN_ENV_VAR },
      },
    },
    update: {
      checkOnStart: false,
      auto: { enabled: false },
    },
  };
}
