"""`docs/api-contract.md`, the repo's copy of the team's contract, against the product: every
route it names is in the app's OpenAPI schema, every `TTHC_*` setting is a field of
`Settings`, every `tthc` command and option is in the parser. A renamed route, setting or
option fails here instead of drifting from the document a portal relies on. The README
links it, and `docs/operating.md`.

Fast: the app is built without an engine (the schema needs none).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest
from conftest import ROOT, SHARED

from service.app import create_app
from service.cli import parser
from service.settings import Settings

CONTRACT = ROOT / "docs" / "api-contract.md"
TEXT = CONTRACT.read_text(encoding="utf-8")
ROUTE = re.compile(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`\s]*)`")
SETTING = re.compile(r"`TTHC_([A-Z0-9_]+)`")
COMMAND = re.compile(r"^\| `tthc (\w+)([^`]*)`", re.MULTILINE)


def _shape(path: str) -> str:
    """A path with its parameters unnamed: the contract's `{id}` is the app's `{key}`."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def contract_routes() -> set[tuple[str, str]]:
    return {(method, _shape(path)) for method, path in ROUTE.findall(TEXT)}


def test_the_contract_names_the_routes_a_portal_relies_on():
    # The parsing itself: a contract read as naming nothing would make the next test pass.
    routes = contract_routes()

    assert {("POST", "/api/ask"), ("POST", "/api/search"), ("GET", "/api/duties")} <= routes
    assert ("GET", "/api/procedures/{}") in routes


def test_every_route_of_the_contract_is_in_the_openapi_schema(tmp_path: Path):
    schema = create_app(Settings(data_dir=tmp_path)).openapi()["paths"]
    offered = {(method.upper(), _shape(path)) for path, item in schema.items() for method in item}

    missing = contract_routes() - offered
    assert not missing, f"the contract names routes the app does not have: {sorted(missing)}"


def test_every_setting_of_the_contract_is_a_setting():
    named = {name.lower() for name in SETTING.findall(TEXT)}

    assert {"data_dir", "admin_api_key", "cors_origins"} <= named
    unknown = named - set(Settings.model_fields)
    assert not unknown, f"the contract names settings `Settings` does not have: {sorted(unknown)}"


def subcommands() -> dict[str, argparse.ArgumentParser]:
    """`tthc`'s sub-commands by name, as argparse keeps them."""
    return next(a.choices for a in parser()._actions if isinstance(a, argparse._SubParsersAction))


def test_every_command_and_option_of_the_contract_is_in_the_cli():
    commands = subcommands()
    named = COMMAND.findall(TEXT)

    assert {name for name, _ in named} >= {"ingest", "search", "ask", "duties", "serve", "eval"}
    for name, usage in named:
        assert name in commands, f"tthc {name}"
        for option in re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", usage):
            assert option in commands[name]._option_string_actions, f"tthc {name} {option}"


@pytest.mark.skipif(
    not (SHARED / "api-contract.md").is_file(), reason="no team contract beside the checkout"
)
def test_the_copy_is_the_team_contract():
    assert (SHARED / "api-contract.md").read_text(encoding="utf-8") == TEXT, (
        "docs/api-contract.md differs from ../shared/api-contract.md: copy the team's version"
    )


@pytest.mark.parametrize("doc", ["docs/api-contract.md", "docs/operating.md"])
def test_the_readme_links_the_docs_a_newcomer_needs(doc):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")

    assert f"]({doc})" in readme and (ROOT / doc).is_file()
