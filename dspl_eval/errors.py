"""The project's exceptions: one base class, a few subclasses, messages in the analyst's words."""


class DsplEvalError(Exception):
    """Base class: anything dspl-eval raises on purpose. The CLI prints it without a traceback."""


class ConfigError(DsplEvalError):
    """A setting, parameter or key is missing or invalid."""


class InputFileError(DsplEvalError):
    """A return cannot be read at all (empty, not a spreadsheet, undecodable)."""


class MissingColumnsError(InputFileError):
    """A return lacks columns the initiative requires; the message lists what was found."""


class StatisticsError(DsplEvalError):
    """A statistic was asked for on input it cannot be computed from (message says why)."""


class ReportRunError(DsplEvalError):
    """A report notebook failed; carries the file, cell and message."""


class DisclosureError(DsplEvalError):
    """Output would reveal a small count, an identity or load an external resource."""
