"""Adapters to other tools; each needs its tool installed (see pyproject's extras).

* :mod:`zhengwen.contrib.datatrove`: pipeline steps for datatrove
  (``pip install 'zhengwen[datatrove]'``).
"""
