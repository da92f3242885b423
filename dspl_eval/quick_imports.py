"""Imported by the runner before ``nbformat``: keeps one slow, unused import out of it.

``nbformat`` imports ``jsonschema``, whose format checkers import ``rfc3987_syntax`` when
it is installed (it is, through Jupyter's dependencies); that module builds a Lark
grammar at import, about 2.3 s on this project's machine, paid by every batch before the
first report starts. It only checks the ``iri`` and ``iri-reference`` string formats,
which no notebook or schema here uses, so the runner's process goes without it (a
process that has already imported it keeps it). Measured with ``python -X importtime``.
"""

from __future__ import annotations

import sys

sys.modules.setdefault("rfc3987_syntax", None)  # None: "import rfc3987_syntax" fails fast
