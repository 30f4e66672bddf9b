/**
 * Maps (method, path) to a route in time proportional to the path's depth, not to the number of
 * routes: patterns are compiled into a tree of segments. A segment is a literal (`instances`), a
 * parameter (`{instance}`), or a parameter with a literal verb suffix (`{secret}:addVersion`,
 * `{project}:getIamPolicy`). Literals win over parameters, and suffixed parameters over plain ones.
 * Parameter names belong to each route (GCP names the same position `{instance}` in one method and
 * `{resource}` in another).
 */
import type { HttpMethod, Route } from './contract.js';

interface ParamEdge {
  /** e.g. ':addVersion'; '' for a plain parameter. */
  readonly suffix: string;
  readonly node: RouteNode;
}

interface Terminal {
  readonly route: Route;
  /** Parameter names in path order. */
  readonly names: readonly string[];
}

interface RouteNode {
  readonly literals: Map<string, RouteNode>;
  /** Longest suffix first, plain parameter last. */
  readonly params: ParamEdge[];
  readonly routes: Map<HttpMethod, Terminal>;
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
    const names: string[] = [];
    for (const segment of splitPath(route.path)) {
      const param = PARAM_SEGMENT.exec(segment);
      if (!param) {
        let next = node.literals.get(segment);
        if (!next) node.literals.set(segment, (next = newNode()));
        node = next;
        continue;
      }
      const [, name, suffix] = param as unknown as [string, string, string];
      names.push(name);
      let edge = node.params.find((p) => p.suffix === suffix);
      if (!edge) {
        edge = { suffix, node: newNode() };
        node.params.push(edge);
        node.params.sort((a, b) => b.suffix.length - a.suffix.length);
      }
      node = edge.node;
    }
    if (node.routes.has(route.method)) throw new Error(`duplicate route ${route.method} ${route.path}`);
    node.routes.set(route.method, { route, names });
  }

  /** `path` is the raw (still percent-encoded) path of the request URL. */
  match(method: string, path: string): RouteMatch | undefined {
    const values: string[] = [];
    const found = this.walk(this.root, splitPath(path), 0, method as HttpMethod, values);
    if (!found) return undefined;
    const params: Record<string, string> = {};
    found.names.forEach((name, i) => (params[name] = values[i]!));
    return { route: found.route, params };
  }

  private walk(node: RouteNode, segments: string[], i: number, method: HttpMethod, values: string[]): Terminal | undefined {
    if (i === segments.length) return node.routes.get(method);
    const segment = segments[i]!;
    const literal = node.literals.get(segment);
    if (literal) {
      const found = this.walk(literal, segments, i + 1, method, values);
      if (found) return found;
    }
    for (const edge of node.params) {
      if (edge.suffix ? !(segment.length > edge.suffix.length && segment.endsWith(edge.suffix)) : segment.length === 0) continue;
      let value: string;
      try {
        value = decodeURIComponent(edge.suffix ? segment.slice(0, -edge.suffix.length) : segment);
      } catch {
        continue;
      }
      values.push(value);
      const found = this.walk(edge.node, segments, i + 1, method, values);
      if (found) return found;
      values.pop();
    }
    return undefined;
  }
}

function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}
