"""One-command start: `python faceforge.py [serve|token|migrate|version|zipapp|...]`."""

from faceforge.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
