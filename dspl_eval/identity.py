"""Pseudonymisation: a keyed hash (HMAC-SHA256) turns a UPN or reference into ``pupil_id``.

The key never lives in the repository. It comes from the environment variable
``DSPL_EVAL_KEY``, or a key file named by ``DSPL_EVAL_KEY_FILE`` (default
``~/.config/dspl-eval/key``) outside the repository. Demo data (marked by
``raw/DEMO_DATA.txt``) uses a fixed, clearly labelled demo key that protects nothing.
The same key gives the same ``pupil_id`` every term, so children can be followed across
terms without anyone holding their UPN.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dspl_eval.errors import ConfigError
from dspl_eval.paths import PROJECT_ROOT, is_demo

DEMO_KEY = b"dspl-eval DEMO key: not secret, for synthetic demo data only"
DEFAULT_KEY_FILE = Path("~/.config/dspl-eval/key")
ID_LENGTH = 20  # hex characters (80 bits): collisions are negligible for local cohorts
MIN_KEY_LENGTH = 16


@dataclass(frozen=True, repr=False)
class Key:
    """A pseudonymisation key and where it came from (``source`` is safe to print)."""

    secret: bytes
    source: str

    def __repr__(self) -> str:  # never show the secret in logs or notebooks
        return f"Key(source={self.source!r})"


def load_key(data_root: Path | None = None) -> Key:
    """The key to use for ``data_root``: environment, key file, or the demo key for demo data."""
    if value := os.environ.get("DSPL_EVAL_KEY"):
        if len(value) < MIN_KEY_LENGTH:
            raise ConfigError(
                f"DSPL_EVAL_KEY is too short ({len(value)} characters): use at least "
                f'{MIN_KEY_LENGTH}, e.g. python -c "import secrets; print(secrets.token_hex(32))"'
            )
        return Key(value.encode(), "the DSPL_EVAL_KEY environment variable")
    named = os.environ.get("DSPL_EVAL_KEY_FILE")
    path = Path(named or DEFAULT_KEY_FILE).expanduser()
    if path.is_file():
        return Key(_read_key_file(path), f"the key file {path}")
    if named:
        raise ConfigError(f"DSPL_EVAL_KEY_FILE names {path}, which does not exist")
    if data_root is not None and is_demo(data_root):
        return Key(DEMO_KEY, "the built-in DEMO key (not secret: synthetic data only)")
    raise ConfigError(
        "no pseudonymisation key: run `dspl-eval init` (it creates a key file outside the "
        "repository), set DSPL_EVAL_KEY, or create a key file yourself: make the folder "
        f'{DEFAULT_KEY_FILE.parent}, then run python -c "import secrets; '
        f'print(secrets.token_hex(32))" > {DEFAULT_KEY_FILE} (keep it safe: the same key '
        "must be used every term)"
    )


def _read_key_file(path: Path) -> bytes:
    resolved = path.resolve()
    if resolved.is_relative_to(PROJECT_ROOT):
        raise ConfigError(
            f"the key file {path} is inside the repository ({PROJECT_ROOT}): move it outside, "
            "where it cannot be committed"
        )
    secret = resolved.read_bytes().strip()
    if len(secret) < MIN_KEY_LENGTH:
        raise ConfigError(f"the key file {path} holds fewer than {MIN_KEY_LENGTH} characters")
    return secret


def pseudonymise(values: pd.Series, key: Key, namespace: str) -> pd.Series:
    """HMAC-SHA256 of ``namespace`` + each value, as ``ID_LENGTH`` hex characters (NA stays NA).

    ``namespace`` separates kinds of identifier (``"upn"``, ``"ref:<school>"``) so that a
    pupil reference can never collide with a UPN.
    """
    base = hmac.new(key.secret, digestmod=hashlib.sha256)
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    hashed = []
    for value in uniques:  # each distinct value once; a copy skips re-keying the HMAC
        mac = base.copy()
        mac.update(f"{namespace}\x1f{value}".encode())
        hashed.append(mac.hexdigest()[:ID_LENGTH])
    out = np.array([*hashed, None], dtype=object)[codes]  # code -1 (missing) → None
    return pd.Series(out, index=values.index, dtype="str")


def normalise_ref(values: pd.Series) -> pd.Series:
    """References compared without case or spacing (``eb-014 `` = ``EB-014``)."""
    return values.str.upper().str.replace(r"\s+", "", regex=True)
