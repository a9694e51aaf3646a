"""The README's commands as someone setting up the bot reads them: `make run` installs what
running needs and not the test tools, `make test` the test tools, the migrate command names
the venv's python, and CI runs exactly the README's test command."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    return README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def commands(title: str) -> list[str]:
    """The lines of the first ```sh block of a README section."""
    block = re.search(r"```sh\n(.*?)```", section(title), re.DOTALL)
    assert block is not None, title
    return block[1].strip().splitlines()


def make_plan(target: str) -> list[str]:
    """What `make <target>` would run on a fresh clone (no venv yet; a dry run makes none)."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed (.ci/run installs it)")
    # As on a newcomer's shell, also when the suite itself runs under `make test`.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    done = subprocess.run(
        ["make", "--no-print-directory", "-n", target, "VENV=.venv-never-made"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return done.stdout.splitlines()


def installs(plan: list[str]) -> list[str]:
    return [line.split(" install ", 1)[1] for line in plan if " -m pip install " in line]


def test_make_run_installs_what_running_needs_only() -> None:
    assert commands("Run the bot") == ["make run"]
    plan = make_plan("run")
    assert installs(plan) == ["--quiet --upgrade pip", "--quiet -e '.[postgres]'"]
    assert plan[-1].endswith("/bin/python -m bot")
    assert not any(tool in line for line in plan for tool in ("pytest", "ruff", "mypy", "[test]"))


def test_make_test_installs_the_test_tools_and_runs_them() -> None:
    assert commands("Run the tests") == ["make test"]
    plan = make_plan("test")
    assert installs(plan) == ["--quiet --upgrade pip", "--quiet -e '.[test]'"]
    assert [line.split("/bin/python ", 1)[1] for line in plan[-3:]] == [
        "-m ruff check .",
        "-m mypy",
        "-m pytest -n auto",
    ]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1] == commands("Run the tests")[0]


def test_migrate_is_run_with_the_venv_python() -> None:
    mentions = re.findall(r"`([^`]*-m bot migrate)`", README)
    assert mentions == [".venv/bin/python -m bot migrate"]
