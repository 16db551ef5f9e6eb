"""Citations: the only place a `Citation` is built and `[n]` parsed, checked, renumbered and quoted.

- `markers`  parse, rewrite, remove and renumber `[n]` markers
- `support`  is a cited sentence supported by its passages (words and every number)?
- `quotes`   the verbatim part of a passage that best supports a claim
- `build`    `Citation` records from a passage or a table row
- `process`  the post-processing every composer's text goes through
"""

from assistant.cite.build import passage_citation, table_citation
from assistant.cite.process import CheckedSentence, CitationReport
from assistant.cite.quotes import best_quote
from assistant.cite.support import SUPPORT_MIN_TERM_SHARE, is_supported, numbers_in

__all__ = [
    "SUPPORT_MIN_TERM_SHARE", "CheckedSentence", "CitationReport", "best_quote", "is_supported", "numbers_in",
    "passage_citation", "table_citation",
]
