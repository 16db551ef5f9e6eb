"""The index: embeddings, the dense store (Chroma), the catalogue + lexical index (SQLite FTS5), feedback.

- `embeddings`  embedders behind one `embed_batch`, registered by name
- `dense`       the Chroma collection, embedded or on a server
- `lexical`     catalogue, BM25 (FTS5) and tables in one SQLite file: the commit point of an ingest
- `store`       `Index` (dense + lexical, written atomically per document) and `open_index`
- `feedback`    served answers and 👍/👎 ratings
"""
