"""``python -m canonry`` is the ``canonry`` command."""

from canonry.cli.app import main

main()
