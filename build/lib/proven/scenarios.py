"""Scenarios: the facts about an example pair, written once, next to its code.

Each pair `examples/<page-slug>/<scenario>/` has a `scenario.toml` that says
what the twins need to run and what they serve. The hostile-input tests, the
soak, the proofs' one-off commands and `proven check` all read it; no test
keeps a list of examples.

```toml
# examples/admin-processes/purge/scenario.toml
endpoints = ["POST /tasks", "POST /tasks/<int:task_id>/done", "GET /tasks"]
setup = "migrate"       # one-off admin command run before the app starts (optional)
required = ["DATABASE_URL"]  # the good twin stops at start without these, or "none: why"

[env]                   # both twins' environment; {name} is filled in by whoever runs them
DATABASE_URL = "{database_url}"

[hostile]               # the hostile-input tests (optional): skip = "why"
[soak]                  # the soak: how a write is made and read back, or skip = "why"
[check]                 # `proven check`: what the pair's bad twin fails
```

A value `{name}` in `[env]` is a placeholder: `redis_url`, `database_url`
and `secret` are filled in by every runner, `examples` is the `examples/`
folder, and the tests fill others from fixtures of the same name.
The `[hostile]`, `[soak]` and `[check]` tables belong to their readers.

`required` names the settings without which the good twin stops at start
(one line naming the first it checks, exit status 3), in the order it checks
them; or, for a good twin that needs no setting at all, `"none: <why>"`. The
fail-fast test of every good twin (`tests/test_good_examples.py`) and
`proven check`'s `fails-fast` check read it.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from proven.paths import EXAMPLES_DIR

FILE_NAME = "scenario.toml"
"""The file that holds a pair's facts, in `examples/<page-slug>/<scenario>/`."""

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
"""A placeholder in an `[env]` value: `{redis_url}`."""

KNOWN_KEYS = frozenset({"endpoints", "setup", "required", "env", "hostile", "soak", "check"})
"""The top-level keys a `scenario.toml` may have; any other is a typo and an error."""


class ScenarioError(ValueError):
    """A `scenario.toml` that is missing, malformed, or names a placeholder nobody filled.

    Example:
        ```python
        import pytest

        from proven.scenarios import ScenarioError, load_scenario

        with pytest.raises(ScenarioError, match="no scenario.toml"):
            load_scenario("config/no-such-pair")
        ```
    """


@dataclass(frozen=True)
class Scenario:
    """One example pair's facts, read from its `scenario.toml`.

    Example:
        ```python
        from proven.scenarios import load_scenario

        purge = load_scenario("admin-processes/purge")
        assert purge.setup == "migrate"
        assert purge.required == ("DATABASE_URL",)
        assert "GET /tasks" in purge.endpoints
        assert purge.placeholders() == {"database_url"}
        assert purge.environment({"database_url": "postgresql://db/app"}) == {
            "DATABASE_URL": "postgresql://db/app"
        }
        ```
    """

    name: str
    """The pair, such as `admin-processes/purge` (`<page-slug>/<scenario>`)."""
    folder: Path
    """The pair's folder, which holds `bad/`, `good/` and `scenario.toml`."""
    endpoints: tuple[str, ...] = ()
    """The good twin's routes, as `"METHOD /path/<param>"`, in Flask's notation."""
    env: Mapping[str, str] = field(default_factory=dict)
    """Both twins' environment, with `{name}` placeholders unfilled."""
    setup: str | None = None
    """A one-off admin command run before the app starts (`flask --app app.py <setup>`)."""
    required: tuple[str, ...] = ()
    """The settings the good twin stops at start without, in the order it checks them."""
    needs_no_config: str = ""
    """Why the good twin needs no setting at all (`required = "none: <why>"`); else empty."""
    hostile: Mapping[str, Any] = field(default_factory=dict)
    """The `[hostile]` table, read by the hostile-input tests."""
    soak: Mapping[str, Any] = field(default_factory=dict)
    """The `[soak]` table, read by the soak."""
    check: Mapping[str, Any] = field(default_factory=dict)
    """The `[check]` table, read by `proven check`'s own proof."""

    def twin(self, twin: str) -> str:
        """The example one twin is, as the harness names it: `admin-processes/purge/good`.

        Example:
            ```python
            from proven.scenarios import load_scenario

            assert load_scenario("config/required").twin("bad") == "config/required/bad"
            ```
        """
        return f"{self.name}/{twin}"

    def placeholders(self) -> set[str]:
        """The names of the `{name}` placeholders of `[env]`.

        Example:
            ```python
            from proven.scenarios import load_scenario

            assert load_scenario("stateless-processes/cart").placeholders() == {"redis_url"}
            ```
        """
        return {name for value in self.env.values() for name in PLACEHOLDER.findall(value)}

    def environment(self, values: Mapping[str, str]) -> dict[str, str]:
        """`[env]` with every placeholder filled from `values` (and `{examples}`).

        Raises `ScenarioError` naming the placeholders `values` does not give.

        Example:
            ```python
            import pytest

            from proven.scenarios import ScenarioError, load_scenario

            cart = load_scenario("stateless-processes/cart")
            assert cart.environment({"redis_url": "redis://r/0"}) == {"REDIS_URL": "redis://r/0"}
            with pytest.raises(ScenarioError, match="redis_url"):
                cart.environment({})
            ```
        """
        known = {"examples": str(EXAMPLES_DIR), **values}
        missing = sorted(self.placeholders() - set(known))
        if missing:
            raise ScenarioError(f"{self.name}: no value for {', '.join(missing)} in [env]")
        return {
            key: PLACEHOLDER.sub(lambda m: known[m.group(1)], value)
            for key, value in self.env.items()
        }

    def setup_command(self, folder: Path, port: int) -> list[str]:
        """The argv of the one-off admin command in `folder`: `flask --app app.py <setup>`.

        Shaped as a [`CommandBuilder`][proven.processes.CommandBuilder], for
        [`run_to_exit`][proven.processes.run_to_exit]'s `command`.

        Example:
            ```python
            from pathlib import Path

            from proven.scenarios import load_scenario

            argv = load_scenario("admin-processes/purge").setup_command(Path("good"), 0)
            assert argv[1:] == ["-m", "flask", "--app", "good/app.py", "migrate"]
            ```
        """
        if self.setup is None:
            raise ScenarioError(f"{self.name}: scenario.toml names no setup command")
        return [sys.executable, "-m", "flask", "--app", str(folder / "app.py"), self.setup]


def read_scenario(path: Path) -> Scenario:
    """Read one `scenario.toml`; `ScenarioError` names the file and what is wrong.

    Example:
        ```python
        from proven.paths import EXAMPLES_DIR
        from proven.scenarios import read_scenario

        cart = read_scenario(EXAMPLES_DIR / "stateless-processes/cart/scenario.toml")
        assert cart.name == "stateless-processes/cart"
        ```
    """
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ScenarioError(f"{path}: {error}") from error
    unknown = sorted(set(data) - KNOWN_KEYS)
    if unknown:
        raise ScenarioError(f"{path}: unknown keys {unknown}; known: {sorted(KNOWN_KEYS)}")
    endpoints = data.get("endpoints", [])
    if not all(isinstance(e, str) and re.match(r"^[A-Z]+ /", e) for e in endpoints):
        raise ScenarioError(f"{path}: endpoints must be strings like 'GET /path/<param>'")
    env = data.get("env", {})
    if not all(isinstance(v, str) for v in env.values()):
        raise ScenarioError(f"{path}: every [env] value must be a string")
    required = data.get("required", [])
    none = isinstance(required, str) and required.startswith("none: ")
    names = isinstance(required, list) and all(re.match(r"^[A-Z][A-Z0-9_]*$", n) for n in required)
    if not (none or names):
        raise ScenarioError(
            f'{path}: required must be a list of variable names, or "none: <why>" for a good '
            "twin that needs no setting"
        )
    folder = path.parent
    return Scenario(
        name=f"{folder.parent.name}/{folder.name}",
        folder=folder,
        endpoints=tuple(endpoints),
        env=env,
        setup=data.get("setup"),
        required=() if none else tuple(required),
        needs_no_config=required.removeprefix("none: ") if none else "",
        hostile=data.get("hostile", {}),
        soak=data.get("soak", {}),
        check=data.get("check", {}),
    )


def load_scenario(name: str, examples_dir: Path = EXAMPLES_DIR) -> Scenario:
    """The scenario of one pair, by name: `load_scenario("stateless-processes/cart")`.

    Example:
        ```python
        from proven.scenarios import load_scenario

        counter = load_scenario("stateless-processes/hit-counter")
        assert counter.env == {"REDIS_URL": "{redis_url}"}
        ```
    """
    path = examples_dir / name / FILE_NAME
    if not path.is_file():
        raise ScenarioError(f"{name}: no {FILE_NAME}; every example pair declares its facts there")
    return read_scenario(path)


def scenarios(examples_dir: Path = EXAMPLES_DIR) -> list[Scenario]:
    """Every pair's scenario, in name order.

    Example:
        ```python
        from proven.scenarios import scenarios

        names = [s.name for s in scenarios()]
        assert "stateless-processes/cart" in names and names == sorted(names)
        ```
    """
    return [read_scenario(path) for path in sorted(examples_dir.glob(f"*/*/{FILE_NAME}"))]
