"""The answer stage: survey figures → retrieval → the refusal gate → LLM or extractive composer → citations.

- `pipeline`    `answer(deps, question, scopes)`: the order of the steps, timings, fallbacks
- `gate`        the refusal rule (`assess`, `is_english`, `REFUSAL`)
- `extractive`  the offline default composer: the sources' own sentences, each cited
- `llm`         the LangChain chat model, prompt loading and validation of a generated answer
- `followup`    question limits and thread follow-ups (earlier questions as context)
"""
