"""Thread discipline for numerical fits: one BLAS/OpenMP thread while a fit runs.

A maximum-likelihood fit runs many small vector operations. Through a
multi-threaded BLAS (OpenBLAS starts one thread per core) each of them wakes
worker threads; as soon as another busy process shares the cores -- a second
grading worker, a second case study -- those threads fight for the same cores
and the fit slows several times. Inside :func:`single_threaded` the BLAS and
OpenMP pools of the process use one thread, and the previous limits come back
afterwards. The limits are set with ``threadpoolctl`` (the library scikit-learn
uses for the same purpose), so no environment variable has to be set before
numpy is imported.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

__all__ = ["single_threaded"]

_CONTROLLER = None


def _controller():
    """One ThreadpoolController per process: inspecting the loaded libraries once is enough."""
    global _CONTROLLER
    if _CONTROLLER is None:
        import scipy.optimize  # noqa: F401  load scipy's own BLAS before the libraries are listed
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """Run the body with BLAS and OpenMP limited to one thread.

    Examples
    --------
    >>> import numpy as np
    >>> with single_threaded():
    ...     float(np.ones(3) @ np.ones(3))
    3.0
    """
    with _controller().limit(limits=1):
        yield
