/**
 * The one HTML document every page path returns, and the security headers of every response. The
 * components are ES modules served as they are (src/dashboard/web) with Lit straight from node_modules;
 * an import map resolves Lit's bare specifiers, and the Content-Security-Policy allows exactly that
 * inline map by its hash, scripts from this origin, and nothing inline besides.
 */
import { createHash } from 'node:crypto';

/** Where the browser finds each Lit package (static-files.ts serves these prefixes). */
export const VENDOR_PACKAGES = ['lit', 'lit-html', 'lit-element', '@lit/reactive-element'] as const;

const IMPORT_MAP = JSON.stringify({
  imports: {
    lit: '/vendor/lit/index.js',
    'lit/': '/vendor/lit/',
    'lit-html': '/vendor/lit-html/lit-html.js',
    'lit-html/': '/vendor/lit-html/',
    'lit-element/': '/vendor/lit-element/',
    '@lit/reactive-element': '/vendor/@lit/reactive-element/reactive-element.js',
    '@lit/reactive-element/': '/vendor/@lit/reactive-element/',
  },
});

const IMPORT_MAP_HASH = createHash('sha256').update(IMPORT_MAP, 'utf8').digest('base64');

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `script-src 'self' 'sha256-${IMPORT_MAP_HASH}'`,
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  // Lit renders through its own Trusted Types policy; nothing else may create HTML from strings.
  "require-trusted-types-for 'script'",
  'trusted-types lit-html',
].join('; ');

/** Headers on every response, page or API. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), interest-cohort=()',
};

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>Agents Plane</title>
<link rel="icon" href="/assets/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/page.css">
<script type="importmap">${IMPORT_MAP}</script>
<script type="module" src="/assets/app.js"></script>
</head>
<body>
<ap-dashboard></ap-dashboard>
<noscript><p class="noscript">This dashboard needs JavaScript. <code>agents-plane planes status</code> shows the same data.</p></noscript>
</body>
</html>
`;
