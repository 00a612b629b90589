"""Importable logic of the dashboard: readers of stored files, queries and page helpers."""
