"""Hosted clients: claude.ai (and the Claude apps that use its connectors) and ChatGPT. They
have no config file cfmcp could edit: the user adds the server in the client's settings, and
the client connects from its own servers, so the URL must be public https (a deploy, or
`cfmcp dev --tunnel`). What cfmcp gives is the URL and the steps.

The steps follow the clients' help pages as of December 2026: Claude's "Get started with
custom connectors using remote MCP" (Settings → Connectors → Add custom connector; on Team and
Enterprise plans an Owner adds it first), OpenAI's "Connect from ChatGPT" for the Apps SDK
(Settings → Apps & Connectors → Advanced settings → Developer mode, then Create). Labels move
between releases; the URL to paste does not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class WebClientSpec:
    name: str  # as typed on the command line
    title: str
    settings_url: str  # what --open opens
    # (the /mcp URL, a name for it, whether the server has no sign-in) -> steps
    steps: Callable[[str, str, bool], list[str]]


def _claude_steps(url: str, name: str, public: bool = False) -> list[str]:
    connect = (
        "Click Add: with no sign-in, its tools are listed at once."
        if public
        else "Click Add, then Connect: a window opens this server's sign-in; approve it."
    )
    return [
        "Open https://claude.ai/settings/connectors (Settings → Connectors).",
        "Click “Add custom connector”. (Team or Enterprise: an Owner adds it under "
        "Organization settings → Connectors first.)",
        f"Name: {name}    Remote MCP server URL: {url}",
        connect,
        "In a chat, turn the connector on under the “+” menu → Connectors, and ask for a tool.",
    ]


def _chatgpt_steps(url: str, name: str, public: bool = False) -> list[str]:
    auth, create = (
        ("No authentication", "click Create.")
        if public
        else ("OAuth", "click Create, then sign in and approve in the window that opens.")
    )
    return [
        "Open https://chatgpt.com/#settings/Connectors (Settings → Apps & Connectors).",
        "Under Advanced settings, turn on Developer mode (Business and Enterprise: an admin "
        "allows it for the workspace first).",
        "Back in Apps & Connectors, click Create.",
        f"Name: {name}    MCP Server URL: {url}    Authentication: {auth}",
        f"Tick “I trust this application”, {create}",
        "In a chat, pick Developer mode under the “+” menu and turn the connector on.",
    ]


CLAUDE_AI = WebClientSpec(
    name="claude-ai",
    title="claude.ai (and the Claude apps' connectors)",
    settings_url="https://claude.ai/settings/connectors",
    steps=_claude_steps,
)
CHATGPT = WebClientSpec(
    name="chatgpt",
    title="ChatGPT (developer mode)",
    settings_url="https://chatgpt.com/#settings/Connectors",
    steps=_chatgpt_steps,
)
WEB_CLIENTS: dict[str, WebClientSpec] = {spec.name: spec for spec in (CLAUDE_AI, CHATGPT)}
