/// <reference types="vite/client" />
// The UI's modules import each other without a circle: screens get Ctx from
// ctx.ts and shared components from components/, never from screens/main.tsx
// (which imports every screen) or from another screen.
import { describe, expect, it } from "vitest";

// Every module's text, keyed by its path under src/ ("screens/main.tsx").
const SOURCES: { [path: string]: string } = Object.fromEntries(
  Object.entries(import.meta.glob("../src/**/*.{ts,tsx}", { query: "?raw", import: "default", eager: true }))
    .map(([path, text]) => [path.replace(/^\.\.\/src\//, ""), text as string]),
);

/** Where `spec` (a relative import) leads from `file`, as a path under src/. */
function resolveFrom(file: string, spec: string): string {
  const parts = file.split("/").slice(0, -1);
  for (const p of spec.split("/")) {
    if (p === "..") parts.pop();
    else if (p !== ".") parts.push(p);
  }
  return parts.join("/");
}

/** The module's relative imports (type-only ones too) among `known` paths. */
export function importsOf(file: string, text: string, known: string[]): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+["'](\.[^"']+)["']/gms)) {
    const base = resolveFrom(file, m[1]);
    const hit = [base, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`, `${base}/index.tsx`].find((p) => known.includes(p));
    if (hit) found.push(hit);
  }
  return found;
}

/** A circle of imports, or null when there is none. */
export function findCircle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (n: string): string[] | null => {
    if (state.get(n) === "done") return null;
    if (state.get(n) === "open") return [...path.slice(path.indexOf(n)), n];
    state.set(n, "open");
    path.push(n);
    for (const m of graph.get(n) ?? []) {
      const c = visit(m);
      if (c) return c;
    }
    path.pop();
    state.set(n, "done");
    return null;
  };
  for (const n of graph.keys()) {
    const c = visit(n);
    if (c) return c;
  }
  return null;
}

describe("module shape", () => {
  const known = Object.keys(SOURCES);
  const graph = new Map(known.map((f) => [f, importsOf(f, SOURCES[f], known)]));

  it("reads every module and finds a circle when there is one (the check works)", () => {
    expect(known).toContain("screens/main.tsx");
    expect(known).toContain("ctx.ts");
    expect(graph.get("screens/main.tsx")).toContain("screens/brands.tsx");
    expect(findCircle(new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]]]))).toEqual(["a", "b", "c", "a"]);
    expect(findCircle(new Map([["a", ["b"]], ["b", []], ["c", ["a", "b"]]]))).toBeNull();
    expect(importsOf("screens/brands.tsx", 'import type { Ctx } from "./main";\nimport {\n  RecordRow,\n} from "./records";', known))
      .toEqual(["screens/main.tsx", "screens/records.tsx"]);
  });

  it("has no import circle", () => {
    expect(findCircle(graph)).toBeNull();
  });

  it("screens import no other screen, except screens/main.tsx which imports them all", () => {
    for (const [file, imports] of graph) {
      if (!file.startsWith("screens/") || file === "screens/main.tsx") continue;
      expect(imports.filter((i) => i.startsWith("screens/")), file).toEqual([]);
    }
  });
});
