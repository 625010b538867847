"""How cfmcp dev relays another program's lines (wrangler's, the stand-in's, the tunnel's)."""

from cfmcp import console


def test_a_relayed_line_is_printed_as_written_and_cannot_rewrite_the_terminal(capsys):
    console.err_console.cache_clear()
    try:
        # Markup is not read, and a logged \r or \b cannot hide the label or forge a line.
        console.labelled_line("worker", "cyan", "GET /mcp [bold]200[/bold]\rforged\b\x07\tend")
        assert capsys.readouterr().err == "worker │ GET /mcp [bold]200[/bold]forged\tend\n"
    finally:
        console.err_console.cache_clear()
