"""The survey stage: cited figures (counts, rankings, sums, comparisons) computed with pandas from survey tables.

- `columns`  survey records, and which table header holds which survey field
- `parse`    what a survey-figure question asks (intent, kommuner, yrke, horizon)
- `frame`    tables as DataFrames; small-group suppression ("för få svar"); shared figure pieces
- `intents`  one handler per intent
- `compute`  filter the base rows and run the intent's handler
- `cite`     the figure's one citation (through `assistant.cite`)
- `stage`    `answer`: question + tables → a cited `SurveyResult`, or None to fall back to retrieval
"""

from assistant.survey.columns import (
    MIN_RESPONDENTS,
    TOO_FEW,
    SurveyColumns,
    SurveyComputation,
    SurveyQuery,
    SurveyResult,
    match_columns,
)
from assistant.survey.compute import compute
from assistant.survey.frame import markdown_table, respondents, to_frame, visible
from assistant.survey.parse import match_yrke, parse_question
from assistant.survey.stage import answer, choose_table, survey_tables
from assistant.text.fold import fold
from assistant.text.numbers import format_number, format_percent, to_number

__all__ = [
    "MIN_RESPONDENTS", "TOO_FEW", "SurveyColumns", "SurveyComputation", "SurveyQuery", "SurveyResult", "answer",
    "choose_table", "compute", "fold", "format_number", "format_percent", "markdown_table", "match_columns",
    "match_yrke", "parse_question", "respondents", "survey_tables", "to_frame", "to_number", "visible",
]
