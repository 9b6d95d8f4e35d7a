"""FaceForge Core: local-first asset management for entities and their files."""

__version__ = "0.2.0"
