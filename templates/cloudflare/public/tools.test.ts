// The example tools of src/tools/, called the way MCP clients call them: over streamable HTTP on
// /mcp, with no sign-in. `npm test` runs every test/*.test.ts; ./harness.ts has the helpers.
// `cfmcp add tool NAME` writes a test like these for each tool it adds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { testServer } from "./harness.ts";

const server = testServer();

test("add adds two numbers", async () => {
  const mcp = await server.connect();
  assert.equal(await mcp.text("add", { a: 2, b: 3 }), "5");
});

test("add refuses arguments that are not numbers", async () => {
  const mcp = await server.connect();
  const result = await mcp.call("add", { a: "two", b: 3 });
  assert.equal(result.isError, true);
});

test("whoami says nobody signed in", async () => {
  const mcp = await server.connect();
  assert.equal(JSON.parse(await mcp.text("whoami")).signedIn, false);
});

test("clients of the 2025 protocol get the same tools", async () => {
  const names = async (era: "modern" | "legacy") => {
    const { tools } = await (await server.connect({ era })).client.listTools();
    return tools.map((tool) => tool.name).sort();
  };
  assert.deepEqual(await names("legacy"), await names("modern"));
  const mcp = await server.connect({ era: "legacy" });
  assert.equal(await mcp.text("add", { a: 40, b: 2 }), "42");
});
