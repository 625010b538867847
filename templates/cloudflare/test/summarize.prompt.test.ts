// The prompt of src/prompts/summarize.ts, fetched the way MCP clients fetch prompts, in both
// protocol eras. `npm test` runs every test/*.test.ts; ./harness.ts has the helpers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { testServer } from "./harness.ts";

const server = testServer();

for (const era of ["modern", "legacy"] as const) {
  test(`summarize is listed and fills in its text (${era} protocol)`, async () => {
    const { client } = await server.mcp({ era });
    const { prompts } = await client.listPrompts();
    const listed = prompts.find((prompt) => prompt.name === "summarize");
    assert.deepEqual(listed?.arguments?.map((argument) => argument.name), ["text"]);
    const { messages } = await client.getPrompt({ name: "summarize", arguments: { text: "Hi." } });
    assert.equal(messages[0].role, "user");
    assert.match(String(messages[0].content.type === "text" && messages[0].content.text), /Hi\.$/);
  });
}
