"""Swedish text: analysis (stems, compounds, stop words), sentence splitting, folding and numbers.

- `analyzer`   tokens, stems and compound parts for BM25 and term matching (word lists in `data/`)
- `sentences`  sentence splitting that keeps `[n]` markers on their sentence
- `fold`       lowercase ASCII folding and Swedish sort keys
- `numbers`    Swedish number formatting and reading numbers from table cells
"""
