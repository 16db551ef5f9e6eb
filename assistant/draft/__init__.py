"""The draft stage: a handlingsplan draft for one kommun, section by section, every sentence cited.

Drafts are public documents by default (`publik`: only publik and projekt material, small survey
groups hidden); `intern` adds the kommun's internal material, every such sentence marked.

- `pipeline`  `draft(deps, kommun, avsnitt, scopes, year=, access=)`: template → evidence → parts → rewrite → sources
- `request`   which kommuner, sections, plan years and access levels may be asked for (all interfaces)
- `template`  the handlingsplan template (`prompts/handlingsplan.yaml`): sections, parts, evidence rules
- `timing`    the plan period, dates in source text, what has passed, what a newer source overtakes
- `evidence`  the caller's documents, history (replaced plans) and retrieved passages; sentence units
- `select`    which source sentences and whole lists fill a text part
- `parts`     the parts' shared context; text and survey parts; internal marks; "Uppföljning av föregående plan"
- `tables`    the plan's tables (insatser, ansvar, tidplan, indikatorer), each row citing its own row
- `builders`  which builder writes each kind of part
- `figures`   the kommun's survey figures for the draft (small groups: `assistant.survey.frame`)
- `sources`   one numbered source list for the whole draft (numbers through `assistant.cite`)
- `rewrite`   optional LLM rewrite of prose paragraphs, checked like answers
- `docx`      the draft as a Word document
"""
