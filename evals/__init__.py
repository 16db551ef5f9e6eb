"""The evaluation of Kompetensassistenten: a fixed Swedish question set, metrics, a LangChain baseline.

- `questions.yaml` – the question set (see `evals.questions` for the schema);
- `evals.questions` – load and validate the set;
- `evals.corpus` – the document catalogue (scopes, titles) and cached source texts;
- `evals.matching` – facts in answers, quotes in sources, claims in cited passages (pure);
- `evals.metrics` – pure metric functions and evaluators (overall score + per-question scores);
- `evals.baseline` – the plain LangChain RAG pipeline the system is compared with;
- `evals.runner` – run the system and the baseline over the set and score both;
- `evals.report` – the Markdown and JSON reports in `evals/reports/`.

Run it with `kompetens eval` (see `assistant/interfaces/cli.py`) or `pytest -m integration tests/test_evals.py`.
"""
