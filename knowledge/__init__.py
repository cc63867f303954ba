"""Loket knowledge: ingest policy documents, index them (BM25 + dense), search with access control."""
