"""The answer stage: question → per part survey figures or retrieval → refusal gate → composer → citations.

- `pipeline`    `answer(deps, question, scopes, previous)`: the order of the steps, parts, timings, fallbacks
- `question`    question analysis: kind, asked column/value, kommuner, year, parts, follow-ups
- `units`       evidence units: a sentence, a whole list, a table row with its header
- `score`       scoring units against a question; which documents may answer for a named kommun
- `compose`     the offline default composer: direct answer first, every line one unit
- `gate`        the refusal rule (`assess`, `REFUSAL`)
- `llm`         the LangChain chat model, prompt loading and validation of a generated answer
- `followup`    question limits and thread follow-ups (earlier questions as context)
"""
