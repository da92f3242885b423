"""The settings file ``<data>/dspl-eval.toml`` (issue 14.3): it round-trips through the
notebooks' parameter, ``init``'s example is the defaults, every bad value names its key
and the file, flags override it, and its threshold reaches the notebooks."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from dspl_eval import cli, runner
from dspl_eval import settings as S
from dspl_eval.errors import ConfigError
from dspl_eval.measures import RELIABLE_CHANGE_NORMS

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TERM = "2023-24-autumn"

FULL = """\
partnership = "Anyshire SEND Partnership"
suppression_threshold = 7

[thresholds]
persistent_absence_percent = 15
pass_concern_percentile = 25.5

[thresholds.boxall_competence]
developmental = [60, 136]

[reliabilities]
sdq.teacher.total_difficulties = 0.8
boxall.teacher.developmental = 0.9

[norm_sd]
boxall.teacher.developmental = 20.5

[schools]
"Oakfield Primary" = ["Oakfield", "Oakfield Primary School"]
"St Mary's CE Primary" = ["St Marys C of E"]

[expected]
ebsa = ["oakfield", "St Mary's CE Primary"]
nurture = ["Oakfield Primary"]

[[costs.ebsa]]
label = "EBSA practitioner (0.6 FTE)"
amount_gbp = 14500
per = "term"

[[costs.ebsa]]
label = "Training"
amount_gbp = 1200.50
per = "year"
"""


def write(folder: Path, text: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "dspl-eval.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def values(settings: S.Settings) -> dict:
    """Everything but the sources."""
    return {k: v for k, v in settings.to_parameters().items() if k != "sources"}


# ----------------------------------------------------------------------------- reading


def test_no_file_gives_the_defaults_from_their_sources(tmp_path):
    settings = S.load(tmp_path)
    assert settings == S.defaults()
    assert settings.threshold == 5 and settings.partnership == ""
    assert settings.thresholds == {
        "persistent_absence_percent": 10.0,  # DfE
        "severe_absence_percent": 50.0,
        "pass_concern_percentile": 31.0,  # GL Assessment
        "likert_agree_level": 4.0,
    }
    # the reliabilities are measures.RELIABLE_CHANGE_NORMS's published values, not copies
    norm = RELIABLE_CHANGE_NORMS[("sdq", "teacher", "total_difficulties")]
    assert settings.reliabilities["sdq.teacher.total_difficulties"] == norm.reliability
    assert settings.norm_sd["sdq.teacher.total_difficulties"] == norm.sd
    assert not any(k.startswith("boxall") for k in settings.reliabilities)  # none published
    assert set(settings.sources.values()) == {"default"}


def test_a_full_file_is_read(tmp_path):
    path = write(tmp_path, FULL)
    s = S.load(tmp_path)
    assert (s.partnership, s.threshold) == ("Anyshire SEND Partnership", 7)
    assert s.thresholds["persistent_absence_percent"] == 15.0
    assert s.thresholds["severe_absence_percent"] == 50.0  # not in the file: the default
    assert s.boxall_competence() == {"developmental": (60.0, 136.0)}
    assert s.absence_thresholds().persistent == 15.0
    assert s.reliabilities["sdq.teacher.total_difficulties"] == 0.8
    assert s.reliabilities["sdq.parent.total_difficulties"] == 0.62  # default kept
    assert s.expected == {
        "ebsa": ("Oakfield Primary", "St Mary's CE Primary"),  # spellings → canonical names
        "nurture": ("Oakfield Primary",),
    }
    (staff, training) = s.costs["ebsa"]
    assert (staff.label, staff.amount_gbp, staff.per) == (
        "EBSA practitioner (0.6 FTE)",
        14500,
        "term",
    )
    assert (training.amount_gbp, training.per) == (1200.5, "year")
    source = f"dspl-eval.toml ({path.resolve()})"
    assert s.sources["suppression_threshold"] == source
    assert s.sources["thresholds.pass_concern_percentile"] == source
    assert s.sources["reliabilities.boxall.teacher.developmental"] == source
    assert s.sources["costs.ebsa"] == source
    assert s.sources["thresholds.severe_absence_percent"] == "default"
    assert s.sources["reliabilities.sdq.parent.total_difficulties"] == "default"


def test_norms_take_the_settings(tmp_path):
    write(tmp_path, FULL)
    s = S.load(tmp_path)
    boxall = s.norm("boxall", "teacher", "developmental")
    assert (boxall.reliability, boxall.sd, boxall.available) == (0.9, 20.5, True)
    assert boxall.reliability_source == "dspl-eval.toml"
    sdq = s.norm("sdq", "parent", "total_difficulties")
    assert sdq == RELIABLE_CHANGE_NORMS[("sdq", "parent", "total_difficulties")]  # untouched


def test_school_names_by_their_spellings(tmp_path):
    write(tmp_path, FULL)
    s = S.load(tmp_path)
    assert s.school_name("OAKFIELD  primary school") == "Oakfield Primary"
    assert s.school_name("St. Mary’s CE Primary") == "St Mary's CE Primary"
    assert s.school_name("st marys c of e") == "St Mary's CE Primary"
    assert s.school_name("Westmoor Academy") is None


def test_round_trip_through_the_notebook_parameter(tmp_path):
    write(tmp_path, FULL)
    loaded = S.load(tmp_path, {"threshold": 9})
    parameters = json.loads(json.dumps(loaded.to_parameters()))  # what papermill carries
    assert S.Settings.from_parameters(parameters) == loaded
    assert S.Settings.from_parameters({}) == S.defaults()
    assert S.Settings.from_parameters(S.defaults().to_parameters()) == S.defaults()


def test_a_utf8_file_with_a_byte_order_mark_loads(tmp_path):
    write(tmp_path, '\ufeffpartnership = "Ynys Môn"\n'.encode())
    assert S.load(tmp_path).partnership == "Ynys Môn"


# ----------------------------------------------------------------------------- init


def test_init_writes_an_example_that_loads_as_the_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("DSPL_EVAL_KEY", "a test key that is long enough")
    data = tmp_path / "data"
    lines = cli.init_data(data)
    path = data / "dspl-eval.toml"
    assert any(f"created the settings file {path}" in line for line in lines)
    loaded = S.load(data)
    assert values(loaded) == values(S.defaults())
    text = path.read_text("utf-8")
    for key in (*S.TOP_KEYS, *S.THRESHOLDS, "boxall_competence", "[[costs.ebsa]]"):
        assert key in text, key
    for key in S.defaults().reliabilities:
        assert f"\n{key} = " in text, key
    # each example line, uncommented, is a valid setting (the school list first)
    examples = [line[2:] for line in text.splitlines() if line.startswith("# ") and "=" in line]
    uncommented = text.replace('# "Oakfield Primary" =', '"Oakfield Primary" =')
    uncommented = uncommented.replace("# \"St Mary's", "\"St Mary's").replace("# ebsa =", "ebsa =")
    uncommented = uncommented.replace("# [[costs.ebsa]]", "[[costs.ebsa]]")
    for line in ('label = "EBSA', "amount_gbp =", 'per = "term"'):
        uncommented = uncommented.replace(f"# {line}", line)
    assert examples  # there are examples to try
    path.write_text(uncommented, encoding="utf-8")
    tried = S.load(data)
    assert tried.expected["ebsa"] == ("Oakfield Primary", "St Mary's CE Primary")
    assert tried.costs["ebsa"][0].amount_gbp == 14500
    # run again: the (edited) file is kept, never overwritten
    assert any("kept the existing settings file" in line for line in cli.init_data(data))
    assert path.read_text("utf-8") == uncommented


# ----------------------------------------------------------------------------- bad values


BAD = [
    ("partnership = 5", "partnership"),
    ("suppression_threshold = 1", "suppression_threshold"),
    ("suppression_threshold = 0", "suppression_threshold"),
    ('suppression_threshold = "5"', "suppression_threshold"),
    ("suppression_threshold = 5.0", "suppression_threshold"),
    ("suppression_threshold = true", "suppression_threshold"),
    ('colour = "red"', "colour"),
    ("thresholds = 5", "thresholds"),
    ('[thresholds]\npass_concern_percentile = "31"', "thresholds.pass_concern_percentile"),
    ("[thresholds]\npersistent_absence_percent = 0", "thresholds.persistent_absence_percent"),
    ("[thresholds]\npersistent_absence_percent = 101", "thresholds.persistent_absence_percent"),
    ("[thresholds]\nabsence = 10", "thresholds.absence"),
    ("[thresholds]\nsevere_absence_percent = 5", "thresholds.severe_absence_percent"),
    ("[thresholds]\nlikert_agree_level = 3.5", "thresholds.likert_agree_level"),
    (
        "[thresholds.boxall_competence]\ndevelopmental = [100, 50]",
        "thresholds.boxall_competence.developmental",
    ),
    (
        "[thresholds.boxall_competence]\ndevelopmental = 60",
        "thresholds.boxall_competence.developmental",
    ),
    (
        "[thresholds.boxall_competence]\nhappiness = [1, 2]",
        "thresholds.boxall_competence.happiness",
    ),
    (
        "[reliabilities]\nsdq.teacher.total_difficulties = 1.0",
        "reliabilities.sdq.teacher.total_difficulties",
    ),
    (
        "[reliabilities]\nsdq.teacher.total_difficulties = 0",
        "reliabilities.sdq.teacher.total_difficulties",
    ),
    (
        "[reliabilities]\nsdq.teacher.total_difficulties = -0.2",
        "reliabilities.sdq.teacher.total_difficulties",
    ),
    ("[reliabilities]\nsdq.teacher.happiness = 0.8", "reliabilities.sdq.teacher.happiness"),
    ("[reliabilities]\nsdq = 0.8", "reliabilities.sdq"),
    ("[norm_sd]\nsdq.teacher.conduct = -1", "norm_sd.sdq.teacher.conduct"),
    ('[schools]\n"Oakfield" = "Oak"', "schools.Oakfield"),
    ('[schools]\n"Oakfield" = ["Oak", 3]', "schools.Oakfield[1]"),
    ('[schools]\nA = ["B"]\nB = []', "schools.B"),
    ("[expected]\ndrama = []", "expected.drama"),
    ('[schools]\nA = []\n[expected]\nebsa = ["Zed"]', "expected.ebsa[0]"),
    ('[expected]\nebsa = ["Oakfield"]', "expected.ebsa[0]"),  # no school list at all
    ('[[costs.ebsa]]\nlabel = "x"\namount_gbp = "lots"', "costs.ebsa[0].amount_gbp"),
    ('[[costs.ebsa]]\nlabel = "x"\namount_gbp = -5', "costs.ebsa[0].amount_gbp"),
    ('[[costs.ebsa]]\nlabel = "x"\namount_gbp = 5\nper = "week"', "costs.ebsa[0].per"),
    ('[[costs.ebsa]]\nlabel = "x"\namount_gbp = 5\nvat = 1', "costs.ebsa[0].vat"),
    ('[[costs.ebsa]]\nlabel = "x"', "costs.ebsa[0].amount_gbp"),
    ('[[costs.drama]]\nlabel = "x"\namount_gbp = 1', "costs.drama"),
    ("[costs]\nebsa = 5", "costs.ebsa"),
]


@pytest.mark.parametrize(("text", "key"), BAD, ids=[k for _t, k in BAD])
def test_a_bad_value_names_the_key_and_the_file(tmp_path, text, key):
    path = write(tmp_path, text + "\n")
    with pytest.raises(ConfigError) as caught:
        S.load(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {key}: "), message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("content", "words"),
    [(b'partnership = "Anyshire\n', "not valid TOML"), (b"partnership = '\xff'\n", "not UTF-8")],
)
def test_a_broken_file_names_the_file(tmp_path, content, words):
    path = write(tmp_path, content)
    with pytest.raises(ConfigError, match=words) as caught:
        S.load(tmp_path)
    assert str(caught.value).startswith(f"{path}: ")


def test_a_named_settings_file_must_exist(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        S.load(tmp_path, path=tmp_path / "elsewhere.toml")


# ----------------------------------------------------------------------------- flags


def test_flags_override_the_file(tmp_path):
    write(tmp_path, FULL)
    s = S.load(tmp_path, {"threshold": 9, "partnership": None})
    assert s.threshold == 9 and s.sources["suppression_threshold"] == "--threshold flag"
    assert s.partnership == "Anyshire SEND Partnership"  # None: no override
    with pytest.raises(ConfigError, match="--threshold 1: expected a whole number ≥ 2"):
        S.load(tmp_path, {"threshold": 1})


@pytest.fixture
def captured(monkeypatch):
    """``run_term`` and ``run_demo`` record what the command line gave them."""
    calls: list[dict] = []

    def fake(*args, **kwargs):
        calls.append(kwargs)
        return type("Outcome", (), {"exit_code": 0})()

    monkeypatch.setattr(runner, "run_term", fake)
    monkeypatch.setattr(runner, "run_demo", lambda **kw: calls.append(kw) or 0)
    return calls


def test_the_command_line_reads_the_file_and_its_flags_win(tmp_path, captured):
    write(tmp_path, FULL)
    assert cli.main(["run", "--term", TERM, "--data", str(tmp_path)]) == 0
    assert cli.main(["run", "--term", TERM, "--data", str(tmp_path), "--threshold", "11"]) == 0
    assert cli.main(["demo", "--data", str(tmp_path), "--threshold", "3"]) == 0
    file_only, flagged, demo = (call["settings"] for call in captured)
    assert file_only.threshold == 7 and file_only.sources["suppression_threshold"].startswith(
        "dspl-eval.toml ("
    )
    assert (
        flagged.threshold == 11 and flagged.sources["suppression_threshold"] == "--threshold flag"
    )
    assert flagged.partnership == "Anyshire SEND Partnership"
    assert demo.threshold == 3


def test_the_command_line_takes_another_settings_file(tmp_path, captured):
    elsewhere = write(tmp_path / "shared", 'partnership = "Shared"\n')
    data = tmp_path / "data"
    assert cli.main(["run", "--term", TERM, "--data", str(data), "--settings", str(elsewhere)]) == 0
    assert captured[0]["settings"].partnership == "Shared"


def test_a_bad_settings_file_is_one_line_and_exit_2(tmp_path, captured, capsys):
    path = write(tmp_path, "suppression_threshold = 1\n")
    assert cli.main(["run", "--term", TERM, "--data", str(tmp_path)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"dspl-eval run: {path}: suppression_threshold: expected")
    missing = tmp_path / "nowhere.toml"
    assert cli.main(["demo", "--data", str(tmp_path), "--settings", str(missing)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line == f"dspl-eval demo: settings file {missing} does not exist"
    assert captured == []  # nothing was run


# ----------------------------------------------------------------------------- the runner


def _notebooks(folder: Path, declare_settings: bool) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(FIXTURES / "notebooks" / "tiny.ipynb", as_version=4)
    if declare_settings:
        for cell in nb.cells:
            if "parameters" in cell.metadata.get("tags", []):
                cell.source += "\nsettings = {}  # the partnership's settings"
    nbformat.write(nb, folder / "ebsa.ipynb")
    return folder


def test_the_file_threshold_and_settings_reach_the_notebooks(tmp_path):
    data = tmp_path / "data"
    write(data, FULL)
    nbs = _notebooks(tmp_path / "nbs", declare_settings=True)
    (job,) = runner.plan(TERM, data, tmp_path / "r", ["ebsa"], "commissioner", notebooks=nbs)
    assert job.parameters["suppression_threshold"] == 7
    assert job.metadata["threshold"] == 7
    passed = S.Settings.from_parameters(job.parameters["settings"])
    assert passed == S.load(data)
    assert passed.partnership == "Anyshire SEND Partnership"
    # a threshold given to the run wins over the file's
    (job,) = runner.plan(TERM, data, tmp_path / "r", ["ebsa"], "commissioner", 9, nbs)
    assert job.parameters["suppression_threshold"] == 9
    assert job.parameters["settings"]["threshold"] == 9
    assert job.parameters["settings"]["sources"]["suppression_threshold"] == "--threshold flag"


def test_a_notebook_that_cannot_take_the_settings_is_refused(tmp_path):
    data = tmp_path / "data"
    nbs = _notebooks(tmp_path / "nbs", declare_settings=False)
    write(data, "suppression_threshold = 7\n")  # the threshold alone still reaches it
    (job,) = runner.plan(TERM, data, tmp_path / "r", ["ebsa"], "analyst", notebooks=nbs)
    assert job.parameters["suppression_threshold"] == 7 and "settings" not in job.parameters
    write(data, FULL)
    with pytest.raises(ConfigError, match="does not declare settings, so the values set in"):
        runner.plan(TERM, data, tmp_path / "r", ["ebsa"], "analyst", notebooks=nbs)


# ----------------------------------------------------------------------------- about


def test_about_rows_say_what_was_used_and_where_from(tmp_path):
    path = write(tmp_path, FULL)
    s = S.load(tmp_path, {"threshold": 9})
    rows = {name: (value, source) for name, value, source in s.about_rows("ebsa")}
    assert rows["Partnership"] == ("Anyshire SEND Partnership", "dspl-eval.toml")
    assert rows["Suppression threshold"] == (
        "9 (counts of 1 to 8 people are shown as c)",
        "--threshold flag",
    )
    assert rows["Persistent absence"] == (
        "missing 15% or more of possible sessions",
        "dspl-eval.toml",
    )
    assert rows["Severe absence"][1] == "default"
    assert rows["PASS concern"] == ("a factor percentile below 25.5", "dspl-eval.toml")
    assert rows["Schools expected to return"][0] == "Oakfield Primary, St Mary's CE Primary"
    assert rows["Cost: EBSA practitioner (0.6 FTE)"][0] == "£14,500 per term"
    assert rows["Cost: Training"][0] == "£1,200.50 per year"
    assert not any("SDQ" in name or "Boxall" in name for name in rows)  # not ebsa's
    every = s.about_rows()
    assert all(str(tmp_path) not in f"{v} {src}" for _n, v, src in every)  # no server path
    with_paths = s.about_rows("ebsa", paths=True)
    assert ("Partnership", "Anyshire SEND Partnership", f"dspl-eval.toml ({path.resolve()})") in (
        with_paths
    )
    nurture = {name for name, _v, _s in s.about_rows("nurture")}
    assert "Boxall competence range, developmental" in nurture
    assert "Reliability, Boxall teacher developmental" in nurture
