"""The initiatives: each described once, in its own module (see ``base``).

Nothing lists them: :func:`discover` imports every module of this package and keeps each
one that defines ``INITIATIVE`` (and, beside it, optionally ``DEMO``, its demo model).
Adding an initiative is adding a module.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from dspl_eval.errors import ConfigError
from dspl_eval.initiatives.base import (
    Column,
    CostLine,
    DemoModel,
    DemoReturn,
    Initiative,
    ItemScale,
    Pair,
    Rule,
    normalise_header,
)


def discover(package: ModuleType | str | None = None) -> dict[str, Initiative]:
    """Every ``INITIATIVE`` defined by a module of ``package`` (default: this package),
    keyed and sorted by key.

    Raises
    ------
    ConfigError
        Two modules define the same key, or ``INITIATIVE`` is not an :class:`Initiative`.
    """
    found = _modules(package)
    out: dict[str, Initiative] = {}
    for name, module in found.items():
        initiative = getattr(module, "INITIATIVE", None)
        if initiative is None:
            continue
        if not isinstance(initiative, Initiative):
            raise ConfigError(f"{name}.INITIATIVE is not an Initiative (found {initiative!r})")
        if initiative.key in out:
            raise ConfigError(f"initiative key {initiative.key!r} is defined twice (in {name})")
        out[initiative.key] = initiative
    return dict(sorted(out.items()))


def discover_demos(package: ModuleType | str | None = None) -> dict[str, DemoModel | None]:
    """Each discovered initiative's ``DEMO`` model (None where its module has none)."""
    out: dict[str, DemoModel | None] = {}
    for module in _modules(package).values():
        initiative = getattr(module, "INITIATIVE", None)
        if isinstance(initiative, Initiative):
            out[initiative.key] = getattr(module, "DEMO", None)
    return dict(sorted(out.items()))


def _modules(package: ModuleType | str | None) -> dict[str, ModuleType]:
    if package is None:
        package = __name__
    if isinstance(package, str):
        package = importlib.import_module(package)
    found = {}
    for info in pkgutil.iter_modules(package.__path__):
        if info.name == "base" or info.name.startswith("_") or info.ispkg:
            continue
        name = f"{package.__name__}.{info.name}"
        found[name] = importlib.import_module(name)
    return found


INITIATIVES: dict[str, Initiative] = discover()
DEMOS: dict[str, DemoModel | None] = discover_demos()


def get(key: str) -> Initiative:
    """The initiative called ``key``; ConfigError naming the known keys otherwise."""
    try:
        return INITIATIVES[key]
    except KeyError:
        known = ", ".join(INITIATIVES)
        raise ConfigError(f"unknown initiative {key!r}: expected one of {known}") from None


def demo_model(key: str) -> DemoModel | None:
    """The demo model declared beside initiative ``key`` (None: no-change demo data)."""
    get(key)
    return DEMOS.get(key)


__all__ = [
    "DEMOS",
    "INITIATIVES",
    "Column",
    "CostLine",
    "DemoModel",
    "DemoReturn",
    "Initiative",
    "ItemScale",
    "Pair",
    "Rule",
    "demo_model",
    "discover",
    "discover_demos",
    "get",
    "normalise_header",
]
