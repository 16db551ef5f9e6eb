"""The draft stage: a handlingsplan draft for one kommun, section by section, every sentence cited.

- `pipeline`  `draft(deps, kommun, avsnitt, scopes)`: template → evidence → parts → rewrite → sources
- `request`   which kommuner and sections may be asked for (shared by every interface)
- `template`  the handlingsplan template (`prompts/handlingsplan.yaml`): sections, parts, evidence rules
- `evidence`  the caller's documents, history (replaced plans) and retrieved passages; sentence units
- `select`    which source sentences fill a text part
- `parts`     each part as Markdown blocks (text, tables, survey figures, "[Att komplettera: …]")
- `figures`   the kommun's survey figures for the draft (small groups: `assistant.survey.frame`)
- `sources`   one numbered source list for the whole draft (numbers through `assistant.cite`)
- `rewrite`   optional LLM rewrite of prose paragraphs, checked like answers
- `docx`      the draft as a Word document
"""
