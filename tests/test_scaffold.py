"""The template's "choose" (templates/cloudflare/template.json): one source per target for
every combination of options, nested choices and "*" defaults, and nothing written for a
value mapped to null."""

import itertools

import pytest

from cfmcp.errors import CfmcpError
from cfmcp.scaffold import _pick, load_template

TEMPLATE = load_template()
COMBINATIONS = [
    {"variant": variant, "auth": auth, "toolchain": toolchain}
    for variant, auth, toolchain in itertools.product(
        TEMPLATE.variants, TEMPLATE.providers, TEMPLATE.toolchains
    )
    if not (auth == "none" and variant == "stateful")  # refused by init
]
SIGN_IN = {"src/oauth.ts", "src/auth-handler.ts", "test/oauth.test.ts", "test/upstream-stub.ts"}


@pytest.mark.parametrize("options", COMBINATIONS, ids=lambda o: "-".join(o.values()))
def test_every_combination_has_one_file_per_target(options):
    targets = [str(f.target) for f in TEMPLATE.files(options)]
    assert len(targets) == len(set(targets))
    for needed in ("src/index.ts", "src/upstream.ts", "src/tools.ts", "src/tools/add.ts",
                   "src/resources.ts", "src/prompts.ts", "test/harness.ts", "test/tools.test.ts",
                   "test/worker.ts", "package-lock.json"):  # fmt: skip
        assert needed in targets, needed
    present = SIGN_IN & set(targets)
    assert present == (SIGN_IN if options["auth"] != "none" else set())
    assert ("src/openid-connect.ts" in targets) == (options["auth"] in ("google", "oidc"))
    assert ("test/sessions.test.ts" in targets) == (options["variant"] == "stateful")
    assert not any(t.startswith(("signin/", "public/", "upstreams/", "variants/", "add/"))
                   for t in targets)  # fmt: skip


def test_pick_nests_and_defaults():
    choice = {"auth": {"none": "a.ts", "*": {"variant": {"x": "b.ts", "y": None}}}}
    assert _pick(choice, {"auth": "none", "variant": "x"}, "t") == "a.ts"
    assert _pick(choice, {"auth": "github", "variant": "x"}, "t") == "b.ts"
    assert _pick(choice, {"auth": "github", "variant": "y"}, "t") is None


def test_pick_refuses_an_unknown_value_and_two_options_at_once():
    with pytest.raises(CfmcpError, match="no auth 'okta'"):
        _pick({"auth": {"github": "g.ts"}}, {"auth": "okta"}, "t")
    with pytest.raises(CfmcpError, match="nest them"):
        _pick({"auth": {"*": "a"}, "variant": {"*": "b"}}, {}, "t")
