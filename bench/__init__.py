"""Benchmark of the job engine against the seed guide's approach: ``python -m bench``.

See ``bench/__main__.py`` for the options and the README for what the figures mean.
"""
