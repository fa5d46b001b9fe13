"""The ``canonry`` command line: one small module per command group, wired in ``app``."""
