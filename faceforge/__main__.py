"""`python -m faceforge` and the zipapp entry point."""

from faceforge.cli import main

raise SystemExit(main())
