"""Entities: the modules of one domain; see docs/architecture.md."""
