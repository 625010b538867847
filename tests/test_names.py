import pytest

from cfmcp.names import is_valid_worker_name, slugify_worker_name, worker_name_problem


@pytest.mark.parametrize("name", ["a", "my-mcp", "mcp2", "0abc", "a" * 63, "a-b-c"])
def test_valid_names(name):
    assert is_valid_worker_name(name)
    assert worker_name_problem(name) is None


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "empty"),
        ("a" * 64, "at most 63"),
        ("My-MCP", "lowercase"),
        ("my_mcp", "lowercase"),
        ("my.mcp", "lowercase"),
        ("-mcp", "dash"),
        ("mcp-", "dash"),
        ("m cp", "lowercase"),
    ],
)
def test_invalid_names_say_why(name, reason):
    assert not is_valid_worker_name(name)
    assert reason in worker_name_problem(name)


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("My MCP Server", "my-mcp-server"),
        ("My_Cool.Server", "my-cool-server"),
        ("--weird--name--", "weird-name"),
        ("ÄÖÜ", "aou"),
        ("café", "cafe"),
        ("Crème Brûlée API", "creme-brulee-api"),
        ("Ærø Straße", "aero-strasse"),
        ("日本", "my-mcp-server"),
        ("...", "my-mcp-server"),
        ("x" * 70, "x" * 63),
        ("a" * 62 + "-b", "a" * 62),
    ],
)
def test_slugify_gives_valid_names(text, slug):
    assert slugify_worker_name(text) == slug
    assert is_valid_worker_name(slugify_worker_name(text))
