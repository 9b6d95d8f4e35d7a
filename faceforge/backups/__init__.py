"""Backups of a home (API.md §11): the online backup job, its folders, verify and restore."""
