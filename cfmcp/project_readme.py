"""The generated project's README: its "Add to your client" section, which `cfmcp deploy` (and
`cfmcp up`) fill in with the deployed server's install buttons and one-line commands.

Only what stands between the two markers is cfmcp's: the owner may move the markers anywhere
in the file, write around them, or delete them to keep cfmcp out (then nothing is written).
The rest of the file is kept byte for byte; the old file is backed up first and replaced in one
step, and a deploy to the same URL changes nothing.
"""

from __future__ import annotations

import shlex

from cfmcp.project import Project

START = "<!-- cfmcp:add-to-client -->"
END = "<!-- /cfmcp:add-to-client -->"
README = "README.md"


def cli_commands(name: str, url: str) -> list[tuple[str, str]]:
    """(client, command) for the clients whose CLI adds a remote server in one line."""
    name, url = shlex.quote(name), shlex.quote(url)
    return [
        ("Claude Code", f"claude mcp add --transport http --scope user {name} {url}"),
        ("Codex", f"codex mcp add {name} --url {url}"),
        ("Gemini CLI", f"gemini mcp add --transport http --scope user {name} {url}"),
    ]


def client_section(name: str, url: str) -> str:
    """The section's body for the server at `url` (its /mcp endpoint), named `name`."""
    from cfmcp.clients.links import install_links

    links = install_links(name, url)
    buttons = " ".join(link.markdown() for link in links if link.web)
    others = [link for link in links if not link.web]
    commands = cli_commands(name, url)
    width = max(len(command) for _, command in commands)
    app_links = [
        f"{link.title}: [add the extension]({link.link}) (opens {link.title} where links to "
        "apps work; GitHub does not follow it)."
        for link in others
    ]
    lines = [
        f"The deployed server: `{url}`.",
        "",
        buttons,
        "",
        *app_links,
        "",
        "From a terminal:",
        "",
        "```sh",
        *(f"{command.ljust(width)}  # {client}" for client, command in commands),
        "```",
        "",
        "Every other client: `cfmcp client-config --all` (each installed client's own file), "
        "`cfmcp client-config claude-ai` or `chatgpt` (the URL and the steps).",
    ]
    return "\n".join(lines)


def fill_client_section(project: Project, name: str, url: str) -> str | None:
    """Write the section between the markers: "updated", "unchanged", or None when the README
    or its markers are gone (the owner's choice: nothing is written)."""
    from cfmcp.fsutil import atomic_write_bytes, backup_file

    path = project.root / README
    if path.is_symlink() or not path.is_file():
        return None
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    start = text.find(START)
    end = text.find(END, start + len(START)) if start >= 0 else -1
    if start < 0 or end < 0:
        return None
    newline = "\r\n" if "\r\n" in text else "\n"
    body = client_section(name, url).replace("\n", newline)
    new = text[: start + len(START)] + newline + body + newline + text[end:]
    if new == text:
        return "unchanged"
    backup_file(path)
    atomic_write_bytes(path, new.encode("utf-8"))
    return "updated"
