import { assert, assertEquals } from "../mod/_assert.ts";
import { checkLayout, findCycles, packageOf } from "./check_layout.ts";

const ROOT = new URL("..", import.meta.url).pathname;

Deno.test("check:layout: the repository has no cycle, no upward import, no long file", async () => {
  const report = await checkLayout(ROOT);
  assertEquals(report.problems.map((p) => `${p.kind}: ${p.message}`), []);
  assert(report.modules > 150, `only ${report.modules} modules in the graph`);
});

Deno.test("check:layout: a deliberate cycle, an upward import and a long file in a scratch tree fail", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const put = async (path: string, text: string): Promise<void> => {
      await Deno.mkdir(`${dir}/${path}`.replace(/\/[^/]+$/, ""), { recursive: true });
      await Deno.writeTextFile(`${dir}/${path}`, text);
    };
    // audio -> features is upward; features -> audio closes the cycle (type-only on one side).
    await put("mod/audio/mod.ts", 'export * from "./a.ts";\n');
    await put("mod/audio/a.ts", 'import type { B } from "../features/b.ts";\nexport type A = B;\n');
    await put(
      "mod/features/b.ts",
      'import type { A } from "../audio/a.ts";\nexport type B = A | 1;\n',
    );
    await put("mod/fs.ts", "export const x = 1;\n" + "// filler\n".repeat(720));
    await put(
      "scripts/run.ts",
      'import type { A } from "../mod/audio/a.ts";\nexport type R = A;\n',
    );
    // Eight source files at the root of mod/ (fs.ts and seven more) but no mod.ts: the check counts
    // mod.ts too, so add it: nine, one too many.
    await put("mod/mod.ts", 'export * from "./fs.ts";\n');
    for (const name of ["a", "b", "c", "d", "e", "f", "g"]) {
      await put(`mod/${name}.ts`, `export const ${name} = 1;\n`);
    }
    const report = await checkLayout(dir);
    const kinds = report.problems.map((p) => p.kind).sort();
    assertEquals(kinds, ["cycle", "layer", "no-mod", "root", "script-import", "too-long"]);
    const cycle = report.problems.find((p) => p.kind === "cycle")!.message;
    assert(cycle.includes("mod/audio/a.ts") && cycle.includes("mod/features/b.ts"), cycle);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("findCycles: one readable cycle per strongly connected component", () => {
  const g = new Map<string, Set<string>>([
    ["a", new Set(["b"])],
    ["b", new Set(["c"])],
    ["c", new Set(["a", "d"])],
    ["d", new Set()],
    ["e", new Set(["e"])],
  ]);
  assertEquals(findCycles(g).map((c) => c.join(">")).sort(), ["a>b>c>a", "e>e"]);
  assertEquals(findCycles(new Map([["x", new Set(["y"])], ["y", new Set()]])), []);
});

Deno.test("packageOf: root helpers, packages, the top", () => {
  assertEquals(packageOf("mod/fs.ts"), "root");
  assertEquals(packageOf("mod/audio/_wav.ts"), "audio");
  assertEquals(packageOf("mod/mod.ts"), "top");
  assertEquals(packageOf("scripts/demo.ts"), "top");
});
