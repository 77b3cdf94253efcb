"""``python -m lambdakit`` is the ``lambdakit`` command."""
from .cli import main

raise SystemExit(main())
