"""The layer contract's exceptions are the ADR's (docs/adr/0011-layers.md, issue 14): every import
pyproject's `[tool.importlinter]` ignores is listed in the ADR with its reason, and the ADR lists
no other, so the two cannot drift apart.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# An exception in the ADR: a list item opening with the import in backticks and a colon.
ADR_EXCEPTION = re.compile(r"^\s*- `(?P<importer>[\w.]+) -> (?P<imported>[\w.]+)`: \S", re.MULTILINE)


def contract_exceptions() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (layers,) = [c for c in config["contracts"] if c["type"] == "layers"]
    return {" -> ".join(part.strip() for part in line.split("->")) for line in layers["ignore_imports"]}


def adr_exceptions() -> set[str]:
    text = (ROOT / "docs" / "adr" / "0011-layers.md").read_text()
    return {f"{m['importer']} -> {m['imported']}" for m in ADR_EXCEPTION.finditer(text)}


def test_every_ignored_import_is_declared_in_the_adr_with_a_reason() -> None:
    assert sorted(contract_exceptions() - adr_exceptions()) == []


def test_the_adr_declares_no_exception_the_contract_lacks() -> None:
    assert sorted(adr_exceptions() - contract_exceptions()) == []
