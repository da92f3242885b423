"""Pseudonymisation (dspl_eval.identity): keyed HMAC ids and where the key may come from."""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd
import pytest

from dspl_eval import identity
from dspl_eval.errors import ConfigError
from dspl_eval.identity import (
    DEMO_KEY,
    ID_LENGTH,
    MIN_KEY_LENGTH,
    Key,
    load_key,
    normalise_ref,
    pseudonymise,
)
from dspl_eval.paths import DEMO_MARKER, PROJECT_ROOT

SECRET = "correct horse battery staple 2023-24"
UPN = "B801200005001"  # python-stdnum's doctest example of a valid UPN


@pytest.fixture
def no_key(monkeypatch, tmp_path):
    """No key anywhere: no environment variables and an empty home directory."""
    monkeypatch.delenv("DSPL_EVAL_KEY", raising=False)
    monkeypatch.delenv("DSPL_EVAL_KEY_FILE", raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


def _ids(values, key, namespace="upn"):
    return pseudonymise(pd.Series(values, dtype="str"), key, namespace).tolist()


# ----------------------------------------------------------------------------- the hash


def test_pupil_id_is_hmac_sha256_of_namespace_and_value_truncated():
    # The formula is a contract: change it and last term's ids no longer link to this term's.
    key = Key(SECRET.encode(), "test")
    expected = hmac.new(SECRET.encode(), b"upn\x1f" + UPN.encode(), hashlib.sha256).hexdigest()
    assert _ids([UPN], key) == [expected[:ID_LENGTH]]
    assert ID_LENGTH == 20


def test_same_upn_same_key_same_id_across_calls_and_positions():
    key = Key(SECRET.encode(), "test")
    autumn = _ids([UPN, "Z801200023109"], key)
    spring = _ids(["X", UPN], Key(SECRET.encode(), "loaded again next term"))
    assert autumn[0] == spring[1]
    assert autumn[0] != autumn[1]


def test_different_key_different_id():
    one = _ids([UPN], Key(SECRET.encode(), "a"))
    two = _ids([UPN], Key((SECRET + "!").encode(), "b"))
    assert one != two


def test_namespace_keeps_references_apart_from_upns():
    key = Key(SECRET.encode(), "test")
    assert _ids([UPN], key, "upn") != _ids([UPN], key, "pupil_ref")


def test_missing_stays_missing_and_ids_are_hex():
    key = Key(SECRET.encode(), "test")
    out = pseudonymise(pd.Series([UPN, None], dtype="str", index=[7, 9]), key, "upn")
    assert out.index.tolist() == [7, 9]
    assert pd.isna(out.iloc[1])
    assert len(out.iloc[0]) == ID_LENGTH and int(out.iloc[0], 16) >= 0
    assert UPN not in out.iloc[0]


def test_normalise_ref_ignores_case_and_spaces():
    refs = normalise_ref(pd.Series(["eb-014 ", "EB-014", " e b-0 14"], dtype="str"))
    assert refs.nunique() == 1


# ----------------------------------------------------------------------------- the key


def test_environment_key(no_key, monkeypatch):
    monkeypatch.setenv("DSPL_EVAL_KEY", SECRET)
    key = load_key()
    assert key.secret == SECRET.encode()
    assert "DSPL_EVAL_KEY" in key.source


def test_environment_key_too_short(no_key, monkeypatch):
    monkeypatch.setenv("DSPL_EVAL_KEY", "x" * (MIN_KEY_LENGTH - 1))
    with pytest.raises(ConfigError, match="too short"):
        load_key()


def test_key_file_outside_the_repository(no_key, monkeypatch, tmp_path):
    path = tmp_path / "secret.key"
    path.write_text(SECRET + "\n")  # a trailing newline is not part of the key
    monkeypatch.setenv("DSPL_EVAL_KEY_FILE", str(path))
    key = load_key()
    assert key.secret == SECRET.encode()
    assert str(path) in key.source


def test_default_key_file_in_home(no_key):
    path = no_key / ".config" / "dspl-eval" / "key"
    path.parent.mkdir(parents=True)
    path.write_text(SECRET)
    assert load_key().secret == SECRET.encode()


def test_key_file_too_short(no_key, monkeypatch, tmp_path):
    path = tmp_path / "short.key"
    path.write_text("abc")
    monkeypatch.setenv("DSPL_EVAL_KEY_FILE", str(path))
    with pytest.raises(ConfigError, match="fewer than"):
        load_key()


def test_named_key_file_that_does_not_exist(no_key, monkeypatch, tmp_path):
    monkeypatch.setenv("DSPL_EVAL_KEY_FILE", str(tmp_path / "nope.key"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_key()


def test_project_root_is_the_repository():
    # the "inside the repository" tests below move PROJECT_ROOT to a scratch folder so they
    # never write into the real tree; this checks the real one is what they stand in for
    assert (PROJECT_ROOT / "pyproject.toml").is_file()
    assert (PROJECT_ROOT / "dspl_eval" / "identity.py").is_file()


def test_key_file_inside_the_repository_is_refused(no_key, monkeypatch, tmp_path):
    repo = tmp_path / "repo"
    (repo / "config").mkdir(parents=True)
    path = repo / "config" / "key"
    path.write_text(SECRET)
    monkeypatch.setattr(identity, "PROJECT_ROOT", repo.resolve())
    monkeypatch.setenv("DSPL_EVAL_KEY_FILE", str(path))
    with pytest.raises(ConfigError, match="inside the repository") as caught:
        load_key()
    assert SECRET not in str(caught.value)


def test_key_file_reached_through_a_symlink_into_the_repository_is_refused(
    no_key, monkeypatch, tmp_path
):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "key").write_text(SECRET)
    link = tmp_path / "elsewhere.key"
    link.symlink_to(repo / "key")
    monkeypatch.setattr(identity, "PROJECT_ROOT", repo.resolve())
    monkeypatch.setenv("DSPL_EVAL_KEY_FILE", str(link))
    with pytest.raises(ConfigError, match="inside the repository"):
        load_key()


def test_demo_marker_gives_the_labelled_demo_key(no_key, tmp_path):
    data = tmp_path / "demo"
    (data / "raw").mkdir(parents=True)
    (data / "raw" / DEMO_MARKER).write_text("synthetic")
    key = load_key(data)
    assert key.secret == DEMO_KEY
    assert "DEMO" in key.source


def test_no_key_and_no_demo_explains_what_to_do(no_key, tmp_path):
    data = tmp_path / "real"
    (data / "raw").mkdir(parents=True)
    with pytest.raises(ConfigError) as caught:
        load_key(data)
    message = str(caught.value)
    assert "DSPL_EVAL_KEY" in message
    assert "key file" in message and "outside" in message
    assert "token_hex" in message  # how to make one
    with pytest.raises(ConfigError):
        load_key()  # no data root at all


def test_key_repr_never_shows_the_secret():
    key = Key(SECRET.encode(), "the DSPL_EVAL_KEY environment variable")
    for shown in (repr(key), str(key), f"{key}", f"{key!r}", repr([key]), repr({"k": key})):
        assert SECRET not in shown
        assert "correct horse" not in shown
        assert "DSPL_EVAL_KEY" in shown


def test_key_is_immutable():
    key = Key(SECRET.encode(), "test")
    with pytest.raises(AttributeError):
        key.secret = b"other"  # type: ignore[misc]


def test_demo_key_is_labelled_as_such():
    assert b"DEMO" in DEMO_KEY
    assert len(DEMO_KEY) >= MIN_KEY_LENGTH
