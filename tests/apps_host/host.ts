// A minimal MCP Apps host for the tests, built on ext-apps' own AppBridge: it connects an MCP
// client to the server named in the page's fragment, finds the tool's view (its
// _meta.ui.resourceUri), reads it, shows it in a sandboxed iframe (scripts only, an opaque
// origin: as hosts do), hands it the tool's input and result, and carries the view's tool
// calls to the server. What happens lands in window.hostLog for the test to read.
import { AppBridge, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-bridge";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";

declare global {
  interface Window {
    hostLog: string[];
  }
}

window.hostLog = [];
const log = (line: string) => window.hostLog.push(line);

const given = new URLSearchParams(location.hash.slice(1));
const tool = given.get("tool")!;
const args = JSON.parse(given.get("args") ?? "{}") as Record<string, unknown>;
const token = given.get("token");
const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};

try {
  const client = new Client({ name: "test-host", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(given.get("server")!), { requestInit: { headers } }),
  );
  const { tools } = await client.listTools();
  const ui = tools.find((listed) => listed.name === tool)?._meta?.ui as { resourceUri?: string };
  log(`view ${ui?.resourceUri}`);
  const { contents } = await client.readResource({ uri: ui.resourceUri! });
  const view = contents[0];
  log(`mimeType ${view.mimeType}`);

  const iframe = document.createElement("iframe");
  iframe.sandbox.add("allow-scripts");
  iframe.srcdoc = "text" in view ? view.text : "";
  document.body.append(iframe);

  const bridge = new AppBridge(null, { name: "test-host", version: "1.0.0" }, { serverTools: {} });
  bridge.oncalltool = async (params) => {
    log(`view called ${params.name}`);
    return (await client.callTool(params)) as never;
  };
  bridge.oninitialized = async () => {
    log("view initialized");
    await bridge.sendToolInput({ arguments: args });
    const result = await client.callTool({ name: tool, arguments: args });
    await bridge.sendToolResult(result as never);
    log("result sent");
  };
  await bridge.connect(new PostMessageTransport(iframe.contentWindow!, iframe.contentWindow!));
} catch (error) {
  log(`error ${error instanceof Error ? error.message : String(error)}`);
}
