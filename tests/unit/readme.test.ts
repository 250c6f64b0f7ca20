// The README's code blocks are all accounted for: each TS/JS block runs on
// the runtimes it names (tests/e2e/readme.node.test.ts runs them) or is
// marked `fragment`. The rules are in tests/_readme.ts.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { localImports, readme, readmeBlocks } from "../_readme.ts";
import { root } from "../_host.ts";

describe("README code blocks", () => {
  test("every TS/JS block runs on named runtimes or is marked fragment", () => {
    const blocks = readme();
    assert.ok(blocks.length > 5, `found ${blocks.length} blocks`);
    assert.deepEqual(
      blocks.filter((b) => b.problems.length > 0).map((b) => `line ${b.line}: ${b.problems}`),
      [],
    );
  });

  test("the fence's info string names the runtimes, the paths, or fragment", () => {
    const [all, deno, fragment, wrong] = readmeBlocks(
      [
        "## A",
        "```ts",
        "x",
        "```",
        "```ts deno path=/a path=/b?c=d",
        "```",
        "```js fragment",
        "```",
        "```ts ignore",
        "```",
        "```sh",
        "npm test",
        "```",
      ].join("\n"),
    );
    assert.deepEqual(all.runtimes, ["deno", "bun", "node"]);
    assert.equal(all.section, "A");
    assert.equal(all.code, "x\n");
    assert.deepEqual([deno.runtimes, deno.paths], [["deno"], ["/a", "/b?c=d"]]);
    assert.deepEqual([fragment.fragment, fragment.runtimes], [true, []]);
    assert.match(wrong.problems[0], /unknown word "ignore"/);
  });

  test("package imports point at the repository's entry files", () => {
    const code =
      'import { sse } from "edge-sse";\nimport { connect } from "@edge-sse/core/client";\n';
    assert.equal(
      localImports(code, join(root, ".build", "readme")),
      'import { sse } from "../../mod.ts";\nimport { connect } from "../../client.ts";\n',
    );
  });
});
