"""Interactive explorers (ipywidgets) for the chapters.

Each widget function returns an ``ipywidgets`` container whose output redraws
when a control moves; it computes through crmlab's analytics and draws through
crmlab.plots. A chapter shows a static figure as well, for readers without a
live kernel.
"""

from crmlab.widgets._value import *  # noqa: F401,F403
from crmlab.widgets._clv import *  # noqa: F401,F403
from crmlab.widgets._relationship import *  # noqa: F401,F403
from crmlab.widgets._loyalty import *  # noqa: F401,F403
from crmlab.widgets._practice import *  # noqa: F401,F403
from crmlab._extras import require as _require

_require("widgets", "crmlab.widgets")  # ipywidgets: pip install "crmlab[widgets]"
