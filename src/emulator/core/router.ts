/**
 * Maps (method, path) to a route in time proportional to the path's depth, not to the number of
 * routes: patterns are compiled into a tree of segments. A segment is a literal (`instances`), a
 * parameter (`{instance}`), or a parameter with a literal verb suffix (`{secret}:addVersion`,
 * `{project}:getIamPolicy`). Literals win over parameters, and suffixed parameters over plain ones.
 */
import type { HttpMethod, Route } from './contract.js';

interface ParamEdge {
  readonly name: string;
  /** e.g. ':addVersion'; '' for a plain parameter. */
  readonly suffix: string;
  readonly node: RouteNode;
}

interface RouteNode {
  readonly literals: Map<string, RouteNode>;
  /** Longest suffix first, plain parameter last. */
  readonly params: ParamEdge[];
  readonly routes: Map<HttpMethod, Route>;
}

export interface RouteMatch {
  readonly route: Route;
  readonly params: Record<string, string>;
}

const newNode = (): RouteNode => ({ literals: new Map(), params: [], routes: new Map() });

const PARAM_SEGMENT = /^\{([A-Za-z_][A-Za-z0-9_]*)\}(.*)$/;

export class Router {
  private readonly root = newNode();

  add(route: Route): void {
    let node = this.root;
    for (const segment of splitPath(route.path)) {
      const param = PARAM_SEGMENT.exec(segment);
      if (!param) {
        let next = node.literals.get(segment);
        if (!next) node.literals.set(segment, (next = newNode()));
        node = next;
        continue;
      }
      const [, name, suffix] = param as unknown as [string, string, string];
      let edge = node.params.find((p) => p.suffix === suffix);
      if (!edge) {
        edge = { name, suffix, node: newNode() };
        node.params.push(edge);
        node.params.sort((a, b) => b.suffix.length - a.suffix.length);
      } else if (edge.name !== name) {
        throw new Error(`route ${route.path}: parameter {${name}} conflicts with {${edge.name}} at the same position`);
      }
      node = edge.node;
    }
    if (node.routes.has(route.method)) throw new Error(`duplicate route ${route.method} ${route.path}`);
    node.routes.set(route.method, route);
  }

  /** `path` is the raw (still percent-encoded) path of the request URL. */
  match(method: string, path: string): RouteMatch | undefined {
    const segments = splitPath(path);
    const params: Record<string, string> = {};
    const found = this.walk(this.root, segments, 0, method as HttpMethod, params);
    return found ? { route: found, params } : undefined;
  }

  private walk(node: RouteNode, segments: string[], i: number, method: HttpMethod, params: Record<string, string>): Route | undefined {
    if (i === segments.length) return node.routes.get(method);
    const segment = segments[i]!;
    const literal = node.literals.get(segment);
    if (literal) {
      const found = this.walk(literal, segments, i + 1, method, params);
      if (found) return found;
    }
    for (const edge of node.params) {
      if (edge.suffix && !(segment.length > edge.suffix.length && segment.endsWith(edge.suffix))) continue;
      if (!edge.suffix && segment.length === 0) continue;
      const raw = edge.suffix ? segment.slice(0, -edge.suffix.length) : segment;
      // A plain parameter never swallows a verb meant for a suffixed sibling (`x:verb` of an unknown verb).
      let value: string;
      try {
        value = decodeURIComponent(raw);
      } catch {
        continue;
      }
      params[edge.name] = value;
      const found = this.walk(edge.node, segments, i + 1, method, params);
      if (found) return found;
      delete params[edge.name];
    }
    return undefined;
  }
}

function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}
