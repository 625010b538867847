// The resource of src/resources/about.ts, read the way MCP clients read resources, in both
// protocol eras. `npm test` runs every test/*.test.ts; ./harness.ts has the helpers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { testServer } from "./harness.ts";

const server = testServer();

for (const era of ["modern", "legacy"] as const) {
  test(`about is listed and read (${era} protocol)`, async () => {
    const { client } = await server.mcp({ era });
    const { resources } = await client.listResources();
    assert.ok(resources.some((resource) => resource.uri === "resource://about"));
    const { contents } = await client.readResource({ uri: "resource://about" });
    assert.ok("text" in contents[0], "a text resource");
    assert.equal(contents[0].mimeType, "application/json");
    assert.equal(typeof JSON.parse(contents[0].text).name, "string");
  });
}
