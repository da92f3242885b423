"""dspl-eval: evaluation workbook for local SEND partnerships."""

__version__ = "0.1.0"
