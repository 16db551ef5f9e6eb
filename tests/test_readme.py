"""The README is the front door: its two commands and CLI examples must stay true."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def _first_code_block() -> str:
    return re.search(r"```bash\n(.*?)```", README, re.S).group(1)  # type: ignore[union-attr]


def test_the_first_commands_are_make_run_and_make_test():
    commands = [line.split("#")[0].strip() for line in _first_code_block().splitlines() if line.strip()]
    assert commands == ["make run", "make test"]


def test_makefile_and_ci_implement_them():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "kompetens ingest corpus" in makefile and "kompetens serve" in makefile
    assert "make test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_every_cli_command_in_the_readme_exists():
    documented = set(re.findall(r"(?:bin/kompetens|`kompetens) ([a-z]+)", README))
    out = subprocess.run([sys.executable, "-m", "assistant.interfaces.cli", "--help"], cwd=REPO, capture_output=True,
                         text=True, timeout=60).stdout
    missing = {c for c in documented if not re.search(rf"^  {c}\b", out, re.M)}
    assert not missing, f"README names commands the CLI lacks: {missing}"


def test_documented_environment_variables_are_settings():
    from assistant.config import Settings

    for name in set(re.findall(r"`(KOMPETENS_[A-Z_]+)`", README)):
        parts = name.removeprefix("KOMPETENS_").lower()
        group, _, rest = parts.partition("_")
        fields = Settings.model_fields
        assert parts in fields or (group in fields and rest in fields[group].annotation.model_fields), name
