"""Figures for every chapter. Each function takes a crmlab result and returns the matplotlib Axes.

Plot functions never compute analytics: they draw what an analytics function
returned. Text in figures is English (Chinese terms live in the notebook prose),
so figures render with any font. Every figure follows the readable-figure standard
written down in :mod:`crmlab.style` (words not column names, distinguishable series,
zero-based axes for shares and amounts, legends off the data, nothing clipped,
diverging scales for signed values); ``tests/test_figures.py`` measures it.
"""

from crmlab.plots._value import *  # noqa: F401,F403  segmentation, RFM, value, profitability
from crmlab.plots._clv import *  # noqa: F401,F403  CLV, customer equity, BG/NBD
from crmlab.plots._relationship import *  # noqa: F401,F403  lifecycle, relationship phases
from crmlab.plots._loyalty import *  # noqa: F401,F403  satisfaction, loyalty, churn, acquisition
from crmlab.plots._practice import *  # noqa: F401,F403  KPI dashboard (chapter 11)
