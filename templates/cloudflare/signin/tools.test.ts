// The example tools of src/tools/, called the way MCP clients call them: signed in, over
// streamable HTTP on /mcp. `npm test` runs every test/*.test.ts; ./harness.ts has the helpers.
// `cfmcp add tool NAME` writes a test like these for each tool it adds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { testServer } from "./harness.ts";

const server = testServer();

test("add adds two numbers", async () => {
  const mcp = await server.signIn();
  assert.equal(await mcp.text("add", { a: 2, b: 3 }), "5");
});

test("add refuses arguments that are not numbers", async () => {
  const mcp = await server.signIn();
  const result = await mcp.call("add", { a: "two", b: 3 });
  assert.equal(result.isError, true);
});

test("whoami shows the user who signed in", async () => {
  const mcp = await server.signIn({ email: "ada@example.com" });
  const me = JSON.parse(await mcp.text("whoami"));
  assert.equal(me.email, "ada@example.com");
  assert.equal(me.accessToken, undefined, "whoami must not show the provider's token");
});

test("whoami is still the same user after a refresh", async () => {
  const tokens = await server.authorize({ email: "ada@example.com" });
  const mcp = await server.connect(await server.refresh(tokens));
  assert.equal(JSON.parse(await mcp.text("whoami")).email, "ada@example.com");
});

test("clients of the 2025 protocol get the same tools", async () => {
  const names = async (era: "modern" | "legacy") => {
    const { tools } = await (await server.signIn({ era })).client.listTools();
    return tools.map((tool) => tool.name).sort();
  };
  assert.deepEqual(await names("legacy"), await names("modern"));
  const mcp = await server.signIn({ era: "legacy" });
  assert.equal(await mcp.text("add", { a: 40, b: 2 }), "42");
});
