// What every test file starts with: `const server = testServer();` runs this project's Worker
// (./worker.ts) for the file's tests, with the identity provider's sign-in served by
// ./upstream-stub.ts. `server.signIn()` then signs in the way an MCP client and its user do
// (register, approve, sign in upstream, exchange the code) and gives back a connected client.
import { after, before } from "node:test";
import { createHash, randomBytes } from "node:crypto";
import {
  Client,
  StreamableHTTPClientTransport,
  type CallToolResult,
} from "@modelcontextprotocol/client";
import type { UpstreamStub } from "./stub-kit.ts";
import { startUpstreamStub } from "./upstream-stub.ts";
import { startWorker, type RunningWorker } from "./worker.ts";

// Where the test client says it listens. Nothing is served there: the code is read off the URL.
const REDIRECT_URI = "http://127.0.0.1:9/callback";
const DEFAULT_EMAIL = "dev@example.com";

/** What /token answers, and the client the tokens were issued to. */
export interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  scope: string;
  client_id: string;
}

export interface SignedIn {
  /** The MCP SDK's client, connected to /mcp with the user's access token. */
  client: Client;
  tokens: Tokens;
  /** The session a 2025-era client got (stateful servers only), else undefined. */
  sessionId: string | undefined;
  /** Call a tool; its whole result. */
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  /** Call a tool; the text of its result. A tool error fails the test. */
  text(name: string, args?: Record<string, unknown>): Promise<string>;
}

export interface TestServer {
  /** The Worker's origin, e.g. http://127.0.0.1:PORT/. */
  readonly url: URL;
  /** The stand-in for the identity provider, e.g. `server.upstream.revoke(email)`. */
  readonly upstream: UpstreamStub;
  /** A request to the Worker; `path` is relative to its origin. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /**
   * Sign in as `email` and connect an MCP client. `era: "legacy"` speaks the 2025 protocol
   * (initialize first), as clients from before 2026-07-28 do.
   */
  signIn(options?: { email?: string; era?: "modern" | "legacy" }): Promise<SignedIn>;
  /** A connected MCP client, as the test user: signIn(), under the name public servers use. */
  mcp(options?: { era?: "modern" | "legacy" }): Promise<SignedIn>;
  /**
   * The OAuth part of signIn() alone: the tokens an MCP client ends up with. The file's tests
   * share one registered client; `newClient: true` registers another, as a second app would.
   * `resource` is what the client names as the server (RFC 8707); by default the one in the
   * server's metadata.
   */
  authorize(options?: { email?: string; newClient?: boolean; resource?: string }): Promise<Tokens>;
  /** The MCP part of signIn() alone: a client connected to /mcp with `tokens`. */
  connect(tokens: Tokens, options?: { era?: "modern" | "legacy" }): Promise<SignedIn>;
  /** A refresh at /token, as a client does when its access token runs out: the new tokens. */
  refresh(tokens: Tokens): Promise<Tokens>;
}

/** Starts the Worker before this file's tests and stops it after them. */
export function testServer(): TestServer {
  let upstream: UpstreamStub;
  let worker: RunningWorker;
  const clients: Client[] = [];
  // Registered once for the file's tests, as an installed MCP client registers once.
  let sharedClientId: string | undefined;

  before(async () => {
    upstream = await startUpstreamStub();
    worker = await startWorker({
      // The Worker under test answers as itself (127.0.0.1), not as its deployed origin.
      vars: { ...upstream.vars, PUBLIC_URL: "" },
      secrets: { ...upstream.secrets, COOKIE_ENCRYPTION_KEY: randomBytes(32).toString("hex") },
    });
  });

  after(async () => {
    await Promise.allSettled(clients.map((client) => client.close()));
    await worker?.close();
    await upstream?.close();
  });

  async function register(): Promise<string> {
    const response = await server.fetch("/register", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        client_name: "npm test",
        redirect_uris: [REDIRECT_URI],
        token_endpoint_auth_method: "none",
      }),
    });
    if (response.status !== 201) throw new Error(`/register: ${await describe(response)}`);
    return ((await response.json()) as { client_id: string }).client_id;
  }

  async function tokenRequest(form: Record<string, string>): Promise<Response> {
    return server.fetch("/token", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form),
    });
  }

  const server: TestServer = {
    get url() {
      return worker.url;
    },
    get upstream() {
      return upstream;
    },
    fetch: (path, init) => fetch(new URL(path, worker.url), init),

    async authorize({ email = DEFAULT_EMAIL, newClient = false, resource } = {}) {
      const clientId = newClient ? await register() : (sharedClientId ??= await register());
      // A client learns the resource to ask a token for from the server's metadata (RFC 9728).
      if (resource === undefined) {
        const metadata = await server.fetch("/.well-known/oauth-protected-resource");
        resource = ((await metadata.json()) as { resource: string }).resource;
      }
      const verifier = randomBytes(32).toString("base64url");
      const state = randomBytes(8).toString("hex");
      const authorize = new URL("/authorize", worker.url);
      authorize.search = new URLSearchParams({
        response_type: "code",
        client_id: clientId,
        redirect_uri: REDIRECT_URI,
        code_challenge: createHash("sha256").update(verifier).digest("base64url"),
        code_challenge_method: "S256",
        state,
        resource,
      }).toString();
      const code = await approveAndSignIn(authorize, state, upstream.signedInAs(email));
      const response = await tokenRequest({
        grant_type: "authorization_code",
        code,
        redirect_uri: REDIRECT_URI,
        client_id: clientId,
        code_verifier: verifier,
        resource,
      });
      if (response.status !== 200) throw new Error(`/token: ${await describe(response)}`);
      return { ...((await response.json()) as Tokens), client_id: clientId };
    },

    async refresh(tokens) {
      const response = await tokenRequest({
        grant_type: "refresh_token",
        refresh_token: tokens.refresh_token,
        client_id: tokens.client_id,
      });
      if (response.status !== 200) throw new Error(`/token: ${await describe(response)}`);
      return { ...((await response.json()) as Tokens), client_id: tokens.client_id };
    },

    async signIn({ email, era } = {}) {
      return server.connect(await server.authorize({ email }), { era });
    },

    mcp: (options) => server.signIn(options),

    async connect(tokens, { era = "modern" } = {}) {
      const client = new Client(
        { name: "npm-test", version: "1.0.0" },
        { versionNegotiation: { mode: era === "modern" ? { pin: "2026-07-28" } : "legacy" } },
      );
      const transport = new StreamableHTTPClientTransport(new URL("/mcp", worker.url), {
        requestInit: { headers: { Authorization: `Bearer ${tokens.access_token}` } },
      });
      await client.connect(transport);
      clients.push(client);
      const call = async (name: string, args: Record<string, unknown> = {}) =>
        (await client.callTool({ name, arguments: args })) as CallToolResult;
      return {
        client,
        tokens,
        sessionId: transport.sessionId,
        call,
        async text(name, args) {
          const result = await call(name, args);
          const text = result.content.map((part) => (part.type === "text" ? part.text : "")).join("");
          if (result.isError) throw new Error(`Tool ${name} returned an error: ${text}`);
          return text;
        },
      };
    },
  };
  return server;
}

/**
 * Be the user's browser from /authorize to the client's redirect URI: follow redirects, keep
 * cookies per origin (`cookies` starts with the upstream's), press Approve on the approval
 * dialog. Returns the authorization code.
 */
async function approveAndSignIn(
  start: URL,
  state: string,
  cookies: Map<string, Map<string, string>>,
): Promise<string> {
  let url = start;
  let init: RequestInit = {};
  let approved = false;
  for (let step = 0; step < 10; step++) {
    if (url.href.startsWith(REDIRECT_URI)) {
      const code = url.searchParams.get("code");
      if (!code) {
        const reason = `${url.searchParams.get("error")}: ${url.searchParams.get("error_description")}`;
        throw new Error(`Authorization refused (${reason})`);
      }
      // What a real client checks too: its own state back, and that the user was asked (a
      // browser with no cookies of this server has approved nothing yet).
      if (url.searchParams.get("state") !== state) throw new Error("The state came back changed.");
      if (!approved) throw new Error("Signed in without the approval dialog.");
      return code;
    }
    const jar = cookies.get(url.origin) ?? new Map<string, string>();
    cookies.set(url.origin, jar);
    const headers = new Headers(init.headers);
    if (jar.size) headers.set("Cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
    const response = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const name = pair.slice(0, pair.indexOf("=")).trim();
      const value = pair.slice(pair.indexOf("=") + 1);
      if (value && !/max-age=0/i.test(line)) jar.set(name, value);
      else jar.delete(name);
    }
    const location = response.headers.get("Location");
    if (response.status >= 300 && response.status < 400 && location) {
      url = new URL(location, url);
      init = {};
      continue;
    }
    // The approval dialog (src/approval-dialog.ts): its form carries one hidden `handle`.
    const page = await response.text();
    const handle = /name="handle" value="([^"]*)"/.exec(page)?.[1];
    if (response.status !== 200 || handle === undefined) {
      throw new Error(`Sign-in stopped at ${url.pathname}: HTTP ${response.status}\n${page}`);
    }
    url = new URL("/authorize", url);
    init = {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ handle: unescapeHtml(handle), decision: "approve" }),
    };
    approved = true;
  }
  throw new Error("Sign-in did not reach the client's redirect URI in 10 steps.");
}

async function describe(response: Response): Promise<string> {
  return `HTTP ${response.status} ${await response.text()}`;
}

/** The dialog escapes as `&#NN;` (src/approval-dialog.ts). */
function unescapeHtml(text: string): string {
  return text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
}
