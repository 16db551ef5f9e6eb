"""Swedish numbers: formatting figures, and reading numbers and display text from table cells."""

from __future__ import annotations

import math
import re
from typing import Any

_DECIMAL_COMMA = str.maketrans(",.", " ,")


def format_number(value: float) -> str:
    """Swedish number: space as thousands separator, decimal comma: 1234.5 → '1 234,5'."""
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", " ")
    return f"{value:,.1f}".translate(_DECIMAL_COMMA)


def format_percent(share: float) -> str:
    """A share 0–1 as a Swedish whole percentage: 0.4167 → '42 %'."""
    return f"{math.floor(share * 100 + 0.5)} %"


def cell_text(value: Any) -> str:
    """A cell as display text, rendered like the row passages: 5321.0 → '5321', True → 'Ja'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else f"{value:.6f}".rstrip("0").rstrip(".")
    return str(value).strip()


def to_number(value: Any) -> float:
    """A cell as a number: 3 → 3.0, '3,5' → 3.5, '1 200' → 1200.0; '' and text → NaN."""
    if isinstance(value, bool) or value is None:
        return math.nan
    if isinstance(value, (int, float)):
        return float(value)
    text = re.sub(r"[\s\u00a0\u2009\u202f]", "", str(value)).replace("−", "-").replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return math.nan
