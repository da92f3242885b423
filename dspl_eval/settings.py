"""The one settings file: ``<data>/dspl-eval.toml`` (what an LA sets once).

It holds the LA or partnership name, the suppression threshold, the absence, PASS, Likert
and Boxall thresholds, instrument reliabilities and norm SDs (for the reliable change
index), the school list with the other names each school may be spelt by, the schools
expected to return each initiative, and cost lines per initiative. Read with the
standard library's :mod:`tomllib`; ``dspl-eval init`` writes a commented example
(:func:`example_toml`) whose values are the defaults.

Every value remembers where it came from (:attr:`Settings.sources`: ``"dspl-eval.toml
(<path>)"``, ``"default"`` or ``"--threshold flag"``), so each report's "About this
report" can show what it used (:meth:`Settings.about_rows`). Flags override the file
(:func:`load`'s ``overrides``). A bad value — wrong type, unknown key, threshold below 2,
reliability outside (0, 1), unknown initiative, an expected school missing from the
school list — raises :class:`~dspl_eval.errors.ConfigError` naming the key and the file.

The runner hands the settings to every notebook as the papermill parameter ``settings``
(:meth:`Settings.to_parameters`, plain JSON); a notebook rebuilds them with
:meth:`Settings.from_parameters` (``{}`` gives the defaults).
"""

from __future__ import annotations

import dataclasses
import math
import re
import textwrap
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dspl_eval.errors import ConfigError
from dspl_eval.initiatives.base import CostLine

FILE_NAME = "dspl-eval.toml"
DEFAULT = "default"
MIN_THRESHOLD = 2
DEFAULT_THRESHOLD = 5
COST_PERIODS = ("term", "year", "session", "person")

#: the source of a value given by a command-line flag (``load``'s ``overrides``)
FLAG_SOURCES = {"threshold": "--threshold flag", "partnership": "--partnership flag"}

#: The instrument thresholds: key → (default, label, value as shown ({v}), what it means).
#: Which initiatives use one is declared by each definition (``Initiative.uses_thresholds``).
#: Boxall competence ranges (no public defaults) are kept as
#: ``boxall_<measure>_competence_low`` / ``_high`` when set.
THRESHOLDS: dict[str, tuple[float, str, str, str]] = {
    "persistent_absence_percent": (
        10.0,
        "Persistent absence",
        "missing {v}% or more of possible sessions",
        "persistent absence: missing at least this % of possible sessions (DfE, since 2015/16)",
    ),
    "severe_absence_percent": (
        50.0,
        "Severe absence",
        "missing {v}% or more of possible sessions",
        "severe absence: missing at least this % of possible sessions",
    ),
    "pass_concern_percentile": (
        31.0,
        "PASS concern",
        "a factor percentile below {v}",
        "a PASS factor percentile below this is a concern (GL Assessment's default)",
    ),
    "likert_agree_level": (
        4.0,
        "Agreeing (Likert items)",
        "an answer of {v} or more on the 1-5 scale",
        "the Likert answer (1-5) from which a teacher counts as agreeing (4: agree or "
        "strongly agree)",
    ),
}
#: Who rates each instrument (the informants a reliability or norm SD may be set for).
INFORMANTS = {"sdq": ("teacher", "parent", "self"), "boxall": ("teacher",)}


def _threshold_users(key: str) -> tuple[str, ...]:
    """The initiatives whose definitions say their reports use threshold ``key``."""
    from dspl_eval.initiatives import INITIATIVES

    return tuple(k for k, i in INITIATIVES.items() if key in i.uses_thresholds)


def _instrument_users(instrument: str) -> tuple[str, ...]:
    """The initiatives whose definitions declare ``instrument`` (e.g. ``"sdq"``)."""
    from dspl_eval.initiatives import INITIATIVES

    return tuple(k for k, i in INITIATIVES.items() if instrument in i.instruments)


def _instrument_measures(instrument: str) -> tuple[str, ...]:
    """The scales of ``instrument`` declared by the definitions, in declared order."""
    from dspl_eval.initiatives import INITIATIVES

    seen: dict[str, None] = {}
    for initiative in INITIATIVES.values():
        seen |= dict.fromkeys(initiative.instruments.get(instrument, ()))
    return tuple(seen)


def _boxall_measures() -> tuple[str, ...]:
    return _instrument_measures("boxall")


def _instrument_scales() -> set[str]:
    """Every ``instrument.informant.scale`` a reliability or norm SD may be set for."""
    from dspl_eval.initiatives import INITIATIVES

    instruments = {name for i in INITIATIVES.values() for name in i.instruments}
    return {
        f"{name}.{who}.{scale}"
        for name in instruments
        for who in INFORMANTS.get(name, ("teacher",))
        for scale in _instrument_measures(name)
    }


def _default_norms() -> tuple[dict[str, float], dict[str, float]]:
    """Reliabilities and norm SDs published for each scale (norms.RELIABLE_CHANGE_NORMS,
    without importing :mod:`dspl_eval.measures` and so SciPy)."""
    from dspl_eval.norms import RELIABLE_CHANGE_NORMS

    reliabilities, sds = {}, {}
    for (instrument, informant, scale), norm in sorted(RELIABLE_CHANGE_NORMS.items()):
        key = f"{instrument}.{informant}.{scale}"
        if norm.reliability is not None:
            reliabilities[key] = float(norm.reliability)
        if norm.sd is not None:
            sds[key] = float(norm.sd)
    return reliabilities, sds


def normalise_school(text: object) -> str:
    """A school name compared loosely: case, accents' forms, apostrophes, punctuation,
    ``&``/``and`` and spacing do not matter.

    >>> normalise_school("St. Mary’s C&E  Primary")
    'st marys c and e primary'
    """
    value = unicodedata.normalize("NFKC", str(text)).casefold()
    value = re.sub(r"['’‘`]", "", value).replace("&", " and ")
    return " ".join(re.sub(r"[^\w]+", " ", value).split())


@dataclass(frozen=True)
class Settings:
    """What an LA sets once, each value with its source (see the module docstring).

    ``thresholds`` holds the :data:`THRESHOLDS` keys (and ``boxall_<measure>_competence_low``
    /``_high`` when a competence range is set); ``reliabilities`` and ``norm_sd`` are keyed
    ``instrument.informant.scale`` (e.g. ``sdq.teacher.total_difficulties``); ``schools``
    maps each canonical school name to its other spellings; ``expected`` and ``costs`` are
    keyed by initiative. ``sources`` maps each dotted file key to where its value came from.
    """

    partnership: str = ""
    threshold: int = DEFAULT_THRESHOLD
    thresholds: dict[str, float] = field(default_factory=dict)
    reliabilities: dict[str, float] = field(default_factory=dict)
    schools: dict[str, tuple[str, ...]] = field(default_factory=dict)
    expected: dict[str, tuple[str, ...]] = field(default_factory=dict)
    costs: dict[str, tuple[CostLine, ...]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    norm_sd: dict[str, float] = field(default_factory=dict)

    # ------------------------------------------------------------------ for the reports

    def school_name(self, spelt: object) -> str | None:
        """The canonical name of the school ``spelt`` names (its own name or one of its
        declared spellings, compared by :func:`normalise_school`); None if unknown."""
        return _spellings(self.schools).get(normalise_school(spelt))

    def absence_thresholds(self):
        """:class:`dspl_eval.measures.AbsenceThresholds` from the settings."""
        from dspl_eval.measures import AbsenceThresholds

        return AbsenceThresholds(
            persistent=self.thresholds["persistent_absence_percent"],
            severe=self.thresholds["severe_absence_percent"],
        )

    def boxall_competence(self) -> dict[str, tuple[float, float]]:
        """Boxall competence ranges set in the file: measure → (low, high), inclusive."""
        out = {}
        for measure in _boxall_measures():
            low = self.thresholds.get(f"boxall_{measure}_competence_low")
            high = self.thresholds.get(f"boxall_{measure}_competence_high")
            if low is not None and high is not None:
                out[measure] = (low, high)
        return out

    def norm(self, instrument: str, informant: str, scale: str = "total_difficulties"):
        """The published RCI inputs for a scale (:func:`measures.reliable_change_norm`)
        with the reliability and norm SD of these settings put in, sources named."""
        from dspl_eval.measures import reliable_change_norm

        base = reliable_change_norm(instrument, informant, scale)
        key = f"{instrument.lower()}.{informant.lower()}.{scale}"
        changes: dict[str, object] = {}
        for attribute, values, source_field in (
            ("reliability", self.reliabilities, "reliability_source"),
            ("sd", self.norm_sd, "sd_source"),
        ):
            value = values.get(key)
            if value != getattr(base, attribute):
                changes[attribute] = value
                prefix = "reliabilities" if attribute == "reliability" else "norm_sd"
                changes[source_field] = _bare(self.sources.get(f"{prefix}.{key}", DEFAULT))
        return dataclasses.replace(base, **changes) if changes else base

    def about_rows(
        self, initiative: str | None = None, *, paths: bool = False
    ) -> list[tuple[str, str, str]]:
        """(setting, value, source) rows for "About this report": everything, or only
        what ``initiative``'s report uses. Sources name the settings file without its
        folder unless ``paths`` (a commissioner page shows no server path)."""

        def src(key: str) -> str:
            source = self.sources.get(key, DEFAULT)
            return source if paths else _bare(source)

        def uses(users: Iterable[str]) -> bool:
            return initiative is None or initiative in users

        below = f"counts of 1 to {self.threshold - 1} people are shown as c"
        rows = [
            ("Partnership", self.partnership or "not set", src("partnership")),
            ("Suppression threshold", f"{self.threshold} ({below})", src("suppression_threshold")),
        ]
        for key, (_default, label, shown, _meaning) in THRESHOLDS.items():
            if uses(_threshold_users(key)):
                value = shown.format(v=_number(self.thresholds[key]))
                rows.append((label, value, src(f"thresholds.{key}")))
        if uses(_instrument_users("boxall")):
            ranges = self.boxall_competence()
            for measure, (low, high) in ranges.items():
                rows.append(
                    (
                        f"Boxall competence range, {measure.replace('_', ' ')}",
                        f"{_number(low)} to {_number(high)}",
                        src(f"thresholds.boxall_competence.{measure}"),
                    )
                )
            if not ranges:
                rows.append(
                    (
                        "Boxall competence range",
                        "not set (the limits are not public)",
                        src("thresholds.boxall_competence"),
                    )
                )
        for prefix, values, what in (
            ("reliabilities", self.reliabilities, "Reliability"),
            ("norm_sd", self.norm_sd, "Norm SD"),
        ):
            for key in sorted(values):
                if uses(_instrument_users(key.split(".")[0])):
                    label = f"{what}, {_scale_words(key)}"
                    rows.append((label, _number(values[key]), src(f"{prefix}.{key}")))
        spellings = sum(len(v) for v in self.schools.values())
        rows.append(
            (
                "School list",
                f"{len(self.schools)} schools, with {spellings} other spellings"
                if self.schools
                else "not set",
                src("schools"),
            )
        )
        for key in sorted(self.expected) if initiative is None else [initiative]:
            names = self.expected.get(key, ())
            label = "Schools expected to return" + ("" if initiative else f" ({key})")
            rows.append((label, ", ".join(names) or "not set", src(f"expected.{key}")))
        for key in sorted(self.costs) if initiative is None else [initiative]:
            lines = self.costs.get(key, ())
            for line in lines:
                label = "Cost" + ("" if initiative else f" ({key})") + f": {line.label}"
                value = f"£{line.amount_gbp:,.2f}".replace(".00", "") + f" per {line.per}"
                rows.append((label, value, src(f"costs.{key}")))
            if not lines and initiative is not None:
                rows.append(("Cost lines", "not set", src(f"costs.{key}")))
        return rows

    # ------------------------------------------------------------------ for the notebooks

    def to_parameters(self) -> dict:
        """Plain JSON (papermill parameter ``settings``); :meth:`from_parameters` inverts it."""
        return {
            "partnership": self.partnership,
            "threshold": self.threshold,
            "thresholds": dict(self.thresholds),
            "reliabilities": dict(self.reliabilities),
            "norm_sd": dict(self.norm_sd),
            "schools": {name: list(other) for name, other in self.schools.items()},
            "expected": {key: list(names) for key, names in self.expected.items()},
            "costs": {
                key: [{"label": c.label, "amount_gbp": c.amount_gbp, "per": c.per} for c in lines]
                for key, lines in self.costs.items()
            },
            "sources": dict(self.sources),
        }

    @classmethod
    def from_parameters(cls, d: Mapping | None) -> Settings:
        """The settings a notebook was given (``{}`` or None: the defaults)."""
        if not d:
            return defaults()
        base = defaults()
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(f"settings parameter: unknown key {unknown[0]!r}")
        costs = {
            key: tuple(CostLine(str(c["label"]), float(c["amount_gbp"]), str(c["per"])) for c in v)
            for key, v in (d.get("costs") or {}).items()
        }
        return cls(
            partnership=str(d.get("partnership", base.partnership)),
            threshold=int(d.get("threshold", base.threshold)),
            thresholds={
                **base.thresholds,
                **{k: float(v) for k, v in (d.get("thresholds") or {}).items()},
            },
            reliabilities={
                k: float(v) for k, v in (d.get("reliabilities", base.reliabilities)).items()
            },
            schools={k: tuple(v) for k, v in (d.get("schools") or {}).items()},
            expected={k: tuple(v) for k, v in (d.get("expected") or {}).items()},
            costs=costs,
            sources={**base.sources, **dict(d.get("sources") or {})},
            norm_sd={k: float(v) for k, v in (d.get("norm_sd", base.norm_sd)).items()},
        )

    def replace(self, source: str, **changes: object) -> Settings:
        """A copy with ``changes`` (field names) made and their source set to ``source``."""
        sources = dict(self.sources)
        for name in changes:
            sources[_FIELD_KEYS.get(name, name)] = source
        return dataclasses.replace(self, sources=sources, **changes)

    @property
    def non_default(self) -> list[str]:
        """The dotted keys whose value did not come from the defaults."""
        return sorted(k for k, v in self.sources.items() if v != DEFAULT)


_FIELD_KEYS = {"threshold": "suppression_threshold"}


def _bare(source: str) -> str:
    """``"dspl-eval.toml (/srv/data/dspl-eval.toml)"`` → ``"dspl-eval.toml"``."""
    return re.sub(r"\s*\(.*\)$", "", source)


def _number(value: float) -> str:
    return f"{value:g}"


def _scale_words(key: str) -> str:
    instrument, informant, scale = key.split(".")
    return f"{instrument.upper() if instrument == 'sdq' else instrument.capitalize()} " + (
        f"{informant} {scale.replace('_', ' ')}"
    )


def _spellings(schools: Mapping[str, Iterable[str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, other in schools.items():
        for spelt in (name, *other):
            out.setdefault(normalise_school(spelt), name)
    return out


def defaults() -> Settings:
    """The settings with no file and no flags: every source ``"default"``."""
    reliabilities, sds = _default_norms()
    thresholds = {key: entry[0] for key, entry in THRESHOLDS.items()}
    sources = {"partnership": DEFAULT, "suppression_threshold": DEFAULT, "schools": DEFAULT}
    sources |= {f"thresholds.{k}": DEFAULT for k in thresholds}
    sources |= {f"reliabilities.{k}": DEFAULT for k in reliabilities}
    sources |= {f"norm_sd.{k}": DEFAULT for k in sds}
    return Settings(
        partnership="",
        threshold=DEFAULT_THRESHOLD,
        thresholds=thresholds,
        reliabilities=reliabilities,
        schools={},
        expected={},
        costs={},
        sources=sources,
        norm_sd=sds,
    )


# ----------------------------------------------------------------------------- reading


def settings_path(data_dir: Path) -> Path:
    """``<data_dir>/dspl-eval.toml``."""
    return Path(data_dir) / FILE_NAME


def load(
    data_dir: Path | None,
    overrides: Mapping[str, object] | None = None,
    *,
    path: Path | None = None,
) -> Settings:
    """The settings for ``data_dir``: :func:`defaults`, then ``<data_dir>/dspl-eval.toml``
    (or ``path``) if it exists, then ``overrides`` (``threshold``, ``partnership``: the
    flags', sources ``"--threshold flag"`` ...; a ``None`` value is no override).

    A named ``path`` that does not exist is an error; a missing default file is not.
    """
    settings = defaults()
    if path is not None:
        path = Path(path).expanduser()
        if not path.is_file():
            raise ConfigError(f"settings file {path} does not exist")
    elif data_dir is not None:
        path = settings_path(data_dir)
    if path is not None and path.is_file():
        settings = _read(path, settings)
    for name, value in (overrides or {}).items():
        if value is None:
            continue
        if name not in FLAG_SOURCES:
            raise ConfigError(f"unknown settings override {name!r}")
        where = FLAG_SOURCES[name]
        if name == "threshold":
            try:
                value = _threshold(int(value) if re.fullmatch(r"\d+", str(value)) else value)
            except ValueError as problem:
                raise ConfigError(f"{where.removesuffix(' flag')} {value}: {problem}") from None
        else:
            value = str(value).strip()
        settings = settings.replace(where, **{name: value})
    return settings


class _Reader:
    """Checks one file's values; every error names the key and the file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.source = f"{path.name} ({path.resolve()})"  # "dspl-eval.toml (<path>)"

    def error(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.path}: {key}: {problem}")

    def table(self, value: object, key: str) -> dict:
        if not isinstance(value, dict):
            raise self.error(key, f"expected a table ([{key}]), got {_kind(value)}")
        return value

    def number(self, value: object, key: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            raise self.error(key, f"expected a number, got {_kind(value)} {value!r}")
        return float(value)

    def text(self, value: object, key: str) -> str:
        if not isinstance(value, str):
            raise self.error(key, f"expected text in quotes, got {_kind(value)} {value!r}")
        return value.strip()

    def texts(self, value: object, key: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.error(key, f'expected a list of names, e.g. ["Oakfield"], got {value!r}')
        out = tuple(self.text(v, f"{key}[{i}]") for i, v in enumerate(value))
        for i, v in enumerate(out):
            if not v:
                raise self.error(f"{key}[{i}]", "an empty name")
        return out


def _kind(value: object) -> str:
    return {bool: "true/false", int: "a whole number", float: "a number", str: "text",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)  # fmt: skip


def _flatten(table: Mapping, prefix: str = "") -> dict[str, object]:
    """``{"sdq": {"teacher": {"conduct": 0.6}}}`` → ``{"sdq.teacher.conduct": 0.6}``."""
    out: dict[str, object] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out |= _flatten(value, f"{name}.")
        else:
            out[name] = value
    return out


def _threshold(value: object) -> int:
    """``value`` (an int) as a suppression threshold; ValueError says what is wrong."""
    if isinstance(value, bool) or not isinstance(value, int) or value < MIN_THRESHOLD:
        raise ValueError(
            f"expected a whole number ≥ {MIN_THRESHOLD} (counts of 1 to threshold − 1 "
            f"people are suppressed), got {value!r}"
        )
    return value


TOP_KEYS = (
    "partnership",
    "suppression_threshold",
    "thresholds",
    "reliabilities",
    "norm_sd",
    "schools",
    "expected",
    "costs",
)


def _read(path: Path, settings: Settings) -> Settings:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")  # Windows Notepad may add a byte-order mark
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {error.start}): save it as UTF-8"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    r = _Reader(path)
    for key in data:
        if key not in TOP_KEYS:
            raise r.error(key, f"unknown key (expected one of: {', '.join(TOP_KEYS)})")
    sources = dict(settings.sources)
    changes: dict[str, object] = {}

    if "partnership" in data:
        changes["partnership"] = r.text(data["partnership"], "partnership")
        sources["partnership"] = r.source
    if "suppression_threshold" in data:
        try:
            changes["threshold"] = _threshold(data["suppression_threshold"])
        except ValueError as problem:
            raise r.error("suppression_threshold", str(problem)) from None
        sources["suppression_threshold"] = r.source

    thresholds = dict(settings.thresholds)
    given = r.table(data.get("thresholds", {}), "thresholds")
    for key, value in given.items():
        dotted = f"thresholds.{key}"
        if key == "boxall_competence":
            measures = _boxall_measures()
            for measure, pair in r.table(value, dotted).items():
                where = f"{dotted}.{measure}"
                if measure not in measures:
                    raise r.error(where, f"unknown Boxall measure (expected {', '.join(measures)})")
                if not isinstance(pair, list) or len(pair) != 2:
                    raise r.error(where, f"expected [low, high], e.g. [60, 136], got {pair!r}")
                low, high = (r.number(v, where) for v in pair)
                if not 0 <= low <= high:
                    raise r.error(where, f"expected 0 ≤ low ≤ high, got [{low:g}, {high:g}]")
                thresholds[f"boxall_{measure}_competence_low"] = low
                thresholds[f"boxall_{measure}_competence_high"] = high
                sources[where] = r.source
            continue
        if key not in THRESHOLDS:
            known = ", ".join([*THRESHOLDS, "boxall_competence"])
            raise r.error(dotted, f"unknown threshold (expected one of: {known})")
        number = r.number(value, dotted)
        if key == "likert_agree_level":
            if number not in (1, 2, 3, 4, 5):
                raise r.error(dotted, f"expected a Likert answer 1, 2, 3, 4 or 5, got {value!r}")
        elif not 0 < number <= 100:
            raise r.error(dotted, f"expected a percentage above 0 and at most 100, got {value!r}")
        thresholds[key] = number
        sources[dotted] = r.source
    if thresholds["severe_absence_percent"] < thresholds["persistent_absence_percent"]:
        raise r.error(
            "thresholds.severe_absence_percent",
            f"{thresholds['severe_absence_percent']:g} is below "
            f"persistent_absence_percent ({thresholds['persistent_absence_percent']:g})",
        )
    changes["thresholds"] = thresholds

    scales = _instrument_scales()
    for name, check, what in (
        ("reliabilities", lambda v: 0 < v < 1, "a reliability above 0 and below 1"),
        ("norm_sd", lambda v: v > 0, "a standard deviation above 0"),
    ):
        values = dict(getattr(settings, name))
        for key, value in _flatten(r.table(data.get(name, {}), name)).items():
            dotted = f"{name}.{key}"
            if key not in scales:
                raise r.error(
                    dotted,
                    "unknown scale: expected instrument.informant.scale, e.g. "
                    "sdq.teacher.total_difficulties or boxall.teacher.developmental",
                )
            number = r.number(value, dotted)
            if not check(number):
                raise r.error(dotted, f"expected {what}, got {value!r}")
            values[key] = number
            sources[dotted] = r.source
        changes[name] = values

    schools: dict[str, tuple[str, ...]] = {}
    seen: dict[str, str] = {}
    for name, other in r.table(data.get("schools", {}), "schools").items():
        where = f"schools.{_toml_key(name)}"
        canonical = name.strip()
        if not canonical:
            raise r.error(where, "an empty school name")
        spellings = r.texts(other, where)
        for spelt in (canonical, *spellings):
            norm = normalise_school(spelt)
            if seen.get(norm, canonical) != canonical:
                raise r.error(
                    where,
                    f"{spelt!r} is also a name of {seen[norm]!r}: each spelling names one school",
                )
            seen[norm] = canonical
        schools[canonical] = spellings
    if "schools" in data:
        changes["schools"] = schools
        sources["schools"] = r.source

    from dspl_eval.initiatives import INITIATIVES

    def initiative(key: str, where: str) -> str:
        if key not in INITIATIVES:
            raise r.error(where, f"unknown initiative (expected one of: {', '.join(INITIATIVES)})")
        return key

    lookup = _spellings(schools)
    expected = {}
    for key, names in r.table(data.get("expected", {}), "expected").items():
        where = f"expected.{key}"
        initiative(key, where)
        canonical = []
        for i, spelt in enumerate(r.texts(names, where)):
            found = lookup.get(normalise_school(spelt))
            if found is None:
                raise r.error(
                    f"{where}[{i}]",
                    f"{spelt!r} is not in the school list: add it under [schools] (or correct "
                    "the spelling)",
                )
            canonical.append(found)
        expected[key] = tuple(dict.fromkeys(canonical))
        sources[where] = r.source
    changes["expected"] = expected

    costs = {}
    for key, lines in r.table(data.get("costs", {}), "costs").items():
        where = f"costs.{key}"
        initiative(key, where)
        if not isinstance(lines, list):
            raise r.error(
                where,
                f"expected cost lines, each [[{where}]] with label, amount_gbp and per",
            )
        parsed = []
        for i, line in enumerate(lines):
            at = f"{where}[{i}]"
            line = r.table(line, at)
            for name in line:
                if name not in ("label", "amount_gbp", "per"):
                    raise r.error(f"{at}.{name}", "unknown key (expected label, amount_gbp, per)")
            for name in ("label", "amount_gbp"):
                if name not in line:
                    raise r.error(f"{at}.{name}", "missing")
            label = r.text(line["label"], f"{at}.label")
            if not label:
                raise r.error(f"{at}.label", "an empty label")
            amount = r.number(line["amount_gbp"], f"{at}.amount_gbp")
            if amount < 0:
                raise r.error(f"{at}.amount_gbp", f"expected 0 or more pounds, got {amount:g}")
            per = r.text(line.get("per", "term"), f"{at}.per")
            if per not in COST_PERIODS:
                raise r.error(f"{at}.per", f"{per!r}: expected one of {', '.join(COST_PERIODS)}")
            parsed.append(CostLine(label, amount, per))
        costs[key] = tuple(parsed)
        sources[where] = r.source
    changes["costs"] = costs
    return dataclasses.replace(settings, sources=sources, **changes)


def _toml_key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else f'"{name}"'


# ----------------------------------------------------------------------------- the example


def example_toml() -> str:
    """The commented example ``dspl-eval init`` writes: every key, set to its default
    (so loading it gives :func:`defaults`), with the optional tables shown commented out."""
    d = defaults()
    lines = [
        "# dspl-eval settings: what the partnership sets once. Flags given to a command",
        "# (e.g. --threshold) override them. Every report's 'About this report' lists the",
        '# values used and where each came from. Text goes in "double quotes".',
        "",
        "# The LA or partnership name, shown on the index page and in every report.",
        'partnership = ""   # e.g. "Anyshire SEND Partnership"',
        "",
        "# Counts of 1 to threshold - 1 people are shown as c (DfE convention); at least 2.",
        f"suppression_threshold = {d.threshold}",
        "",
        "[thresholds]",
    ]
    for key, (default, _label, _shown, meaning) in THRESHOLDS.items():
        users = ", ".join(_threshold_users(key)) or "no report yet"
        sentence = f"{meaning[:1].upper() + meaning[1:]} (used by {users})."
        lines += textwrap.wrap(sentence, 86, initial_indent="# ", subsequent_indent="# ")
        lines.append(f"{key} = {default:g}" + (".0" if float(default).is_integer() else ""))
    lines += [
        "",
        "# Boxall competence ranges (inclusive), from your Boxall handbook: not public, so",
        "# none by default and the share within the range is not shown. One line per",
        *textwrap.wrap(
            "section or cluster (" + ", ".join(_boxall_measures()) + "):",
            86,
            initial_indent="# ",
            subsequent_indent="# ",
        ),
        "# [thresholds.boxall_competence]",
        "# developmental = [low, high]",
        "",
        "# Test-retest reliability (0 < r < 1) per instrument.informant.scale, for the",
        "# reliable change index. The defaults are the published values (SDQ: Goodman",
        "# 2001); Boxall has none published, so no reliable change is given for it unless",
        "# you set both a reliability and a norm SD (e.g. boxall.teacher.developmental).",
        "[reliabilities]",
    ]
    lines += [f"{key} = {value:g}" for key, value in d.reliabilities.items()]
    lines += [
        "",
        "# The normative sample's standard deviation per scale (SDQ: Meltzer et al. 2000).",
        "[norm_sd]",
    ]
    lines += [f"{key} = {value:g}" for key, value in d.norm_sd.items()]
    lines += [
        "",
        "# The schools, each with the other names its returns may spell it by (compared",
        "# ignoring case, apostrophes, punctuation and spacing). None by default.",
        "[schools]",
        '# "Oakfield Primary" = ["Oakfield", "Oakfield Primary School"]',
        '# "St Mary\'s CE Primary" = ["St Marys", "St Mary\'s C of E"]',
        "",
        "# The schools expected to return each initiative (names from [schools]), so a",
        "# missing return is noticed. Initiatives: " + ", ".join(_initiative_keys()) + ".",
        "[expected]",
        '# ebsa = ["Oakfield Primary", "St Mary\'s CE Primary"]',
        "",
        "# Cost lines per initiative: label, amount_gbp, and per = term, year, session or",
        "# person. One [[costs.<initiative>]] block per line. None by default.",
        "# [[costs.ebsa]]",
        '# label = "EBSA practitioner (0.6 FTE)"',
        "# amount_gbp = 14500",
        '# per = "term"',
        "",
    ]
    return "\n".join(lines)


def _initiative_keys() -> list[str]:
    from dspl_eval.initiatives import INITIATIVES

    return list(INITIATIVES)


def write_example(path: Path) -> bool:
    """Write :func:`example_toml` to ``path`` unless a file is there; True if written."""
    path = Path(path)
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8", newline="\n") as out:
        out.write(example_toml())
    return True
