"""The initiatives: each described once, in its own module (see ``base``)."""

from dspl_eval.errors import ConfigError
from dspl_eval.initiatives import ebsa, elsa, nqt, nurture
from dspl_eval.initiatives.base import Column, Initiative, Rule, normalise_header

INITIATIVES: dict[str, Initiative] = {
    m.INITIATIVE.key: m.INITIATIVE for m in (nurture, elsa, ebsa, nqt)
}


def get(key: str) -> Initiative:
    """The initiative called ``key``; ConfigError naming the known keys otherwise."""
    try:
        return INITIATIVES[key]
    except KeyError:
        known = ", ".join(INITIATIVES)
        raise ConfigError(f"unknown initiative {key!r}: expected one of {known}") from None


__all__ = ["INITIATIVES", "Column", "Initiative", "Rule", "get", "normalise_header"]
