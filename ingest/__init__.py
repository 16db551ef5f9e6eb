"""Ingest: load source files, chunk them and write them to the index."""
