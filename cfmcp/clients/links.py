"""One-click install links: a URL that opens a client with this server's entry filled in, for
a README's "Add to …" buttons or a chat message.

Each link carries the entry the client's own file would hold (the client's `remote_entry`), so
a link and `cfmcp client-config CLIENT` add the same thing:

- Cursor, https://cursor.com/docs/context/mcp/install-links:
  `cursor://anysphere.cursor-deeplink/mcp/install?name=NAME&config=BASE64(JSON entry)`, and the
  same query on `https://cursor.com/en/install-mcp` (a web page that opens Cursor).
- VS Code, "Create an MCP installation URL" in VS Code's MCP extension guide:
  `vscode:mcp/install?` + the URL-encoded JSON entry with its `name` (`vscode-insiders:` for
  Insiders); GitHub renders no `vscode:` link, so the web form goes through VS Code's redirect
  `https://insiders.vscode.dev/redirect?url=…`.
- LM Studio, https://lmstudio.ai/docs/app/mcp/deeplink: `lmstudio://add_mcp?name=NAME&config=
  BASE64(JSON entry)` (Cursor's notation, `{"url": …}`), and the same query on
  `https://lmstudio.ai/install-mcp`. cfmcp writes no LM Studio file: where it keeps `mcp.json`
  differs between its own documentation and its bug tracker, so the link is the way in.
- Visual Studio, MicrosoftDocs/visualstudio-docs `docs/ide/mcp-servers.md`:
  `vsweb+mcp:/install?` + the URL-encoded entry with its `name` (no web page).
- Goose, "Using Extensions" → deep links in Goose's documentation:
  `goose://extension?url=URL&type=streamable_http&id=ID&name=NAME&description=…&timeout=…`,
  `id` the key Goose files the extension under (`goose.entry_key`).

GitHub's Markdown keeps only http(s) links, so `markdown()` uses the web form where a client
has one; Goose has none, and its link works where custom schemes do (a docs site, a chat).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from cfmcp.clients import cursor, goose, visualstudio, vscode

LINK_CLIENTS = ("cursor", "vscode", "vscode-insiders", "goose", "lmstudio", "visualstudio")
# Clients cfmcp reaches only by a link (no file it writes): name -> title.
LINK_ONLY = {"lmstudio": "LM Studio"}
CURSOR_BADGE = "https://cursor.com/deeplink/mcp-install-dark.svg"


@dataclass(frozen=True)
class InstallLink:
    client: str
    title: str
    link: str  # the client's own scheme
    web: str | None = None  # an https page that opens the link

    def markdown(self) -> str:
        target = self.web or self.link
        if self.client == "cursor":
            return f"[![Add to {self.title}]({CURSOR_BADGE})]({target})"
        label = quote(self.title.replace(" ", "_").replace("-", "--"))
        badge = f"https://img.shields.io/badge/Add_to-{label}-0098FF"
        return f"[![Add to {self.title}]({badge})]({target})"

    def to_json(self) -> dict[str, Any]:
        return {
            "client": self.client,
            "title": self.title,
            "link": self.link,
            "web": self.web,
            "markdown": self.markdown(),
        }


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def cursor_link(name: str, url: str) -> InstallLink:
    config = base64.b64encode(_compact(cursor.remote_entry(url)).encode()).decode()
    query = urlencode({"name": name, "config": config}, quote_via=quote)
    return InstallLink(
        "cursor",
        cursor.SPEC.title,
        f"cursor://anysphere.cursor-deeplink/mcp/install?{query}",
        f"https://cursor.com/en/install-mcp?{query}",
    )


def vscode_link(name: str, url: str, *, insiders: bool = False) -> InstallLink:
    payload = quote(_compact({"name": name, **vscode.remote_entry(url)}), safe="")
    scheme = "vscode-insiders" if insiders else "vscode"
    link = f"{scheme}:mcp/install?{payload}"
    title = f"{vscode.SPEC.title} Insiders" if insiders else vscode.SPEC.title
    web = f"https://insiders.vscode.dev/redirect?url={quote(link, safe='')}"
    return InstallLink("vscode-insiders" if insiders else "vscode", title, link, web)


def goose_link(name: str, url: str) -> InstallLink:
    entry = goose.remote_entry(url)
    query = urlencode(
        {
            "url": entry["uri"],
            "type": entry["type"],
            "id": goose.entry_key(name),
            "name": name,
            "description": f"{name}, a remote MCP server",
            "timeout": str(goose.TIMEOUT_SECONDS),
        },
        quote_via=quote,
    )
    return InstallLink("goose", goose.SPEC.title, f"goose://extension?{query}")


def lmstudio_link(name: str, url: str) -> InstallLink:
    config = base64.b64encode(_compact(cursor.remote_entry(url)).encode()).decode()
    query = urlencode({"name": name, "config": config}, quote_via=quote)
    return InstallLink(
        "lmstudio",
        LINK_ONLY["lmstudio"],
        f"lmstudio://add_mcp?{query}",
        f"https://lmstudio.ai/install-mcp?{query}",
    )


def visualstudio_link(name: str, url: str) -> InstallLink:
    payload = quote(_compact({"name": name, **visualstudio.remote_entry(url)}), safe="")
    return InstallLink("visualstudio", visualstudio.SPEC.title, f"vsweb+mcp:/install?{payload}")


def install_links(
    name: str, url: str, clients: tuple[str, ...] = LINK_CLIENTS
) -> list[InstallLink]:
    """The links for `clients` (in LINK_CLIENTS order) to add the server at `url` as `name`."""
    makers = {
        "cursor": lambda: cursor_link(name, url),
        "vscode": lambda: vscode_link(name, url),
        "vscode-insiders": lambda: vscode_link(name, url, insiders=True),
        "goose": lambda: goose_link(name, url),
        "lmstudio": lambda: lmstudio_link(name, url),
        "visualstudio": lambda: visualstudio_link(name, url),
    }
    return [makers[client]() for client in LINK_CLIENTS if client in clients]
