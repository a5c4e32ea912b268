"""Progress bars (tqdm) for runs, sweeps and comparisons, and the stop signal they share.

A bar is drawn by default only where someone watches: on a terminal (stderr is a TTY) or in a
Jupyter notebook; never in a CI log or a redirected file. ``progress=True`` or ``False`` forces it.
In a notebook the bar is a widget when ipywidgets is installed, text otherwise.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from typing import Any

__all__ = ["RunProgress", "TaskProgress", "enabled"]


def _in_notebook() -> bool:
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def enabled(progress: bool | None) -> bool:
    """Whether to draw a bar: ``progress`` if given, else on a terminal or in a notebook."""
    if progress is not None:
        return bool(progress)
    return _in_notebook() or sys.stderr.isatty()


def _bar(**kwargs: Any) -> Any:
    from tqdm import std

    # Without ipywidgets tqdm's widget bar fails half-built (and its destructor then prints an
    # AttributeError into the notebook), so ask for it only where ipywidgets is importable; tqdm's
    # text bar works in a notebook too.
    if _in_notebook() and importlib.util.find_spec("ipywidgets") is not None:
        from tqdm import notebook

        return notebook.tqdm(**kwargs)
    return std.tqdm(file=kwargs.pop("file", sys.stderr), **kwargs)


class RunProgress:
    """The progress callback of one run: a bar over simulated time, and a way to stop it.

    Called by the engine every few thousand events as ``progress(sim_s, end_s, events)``; returns
    False once ``stop`` is set, which ends the run there (its results are then incomplete).
    """

    def __init__(
        self, label: str, show: bool, stop: threading.Event | None = None, file: Any = None
    ) -> None:
        """Draw a bar labelled ``label`` if ``show``; stop when ``stop`` is set."""
        self.label = label
        self.show = show
        self.stop = stop
        self.file = file
        self.bar: Any = None

    def __call__(self, sim_s: float, end_s: float, events: int) -> bool:
        """Advance the bar to ``sim_s`` of ``end_s`` simulated seconds."""
        if self.show:
            if self.bar is None:
                kwargs: dict[str, Any] = {"file": self.file} if self.file is not None else {}
                self.bar = _bar(
                    total=round(end_s),
                    desc=self.label,
                    bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total_fmt} s simulated "
                    "[{elapsed}<{remaining}{postfix}]",
                    **kwargs,
                )
            self.bar.set_postfix_str(f"{events:,} events", refresh=False)
            self.bar.update(min(sim_s, end_s) - self.bar.n)
        return self.stop is None or not self.stop.is_set()

    def close(self, complete: bool) -> None:
        """Finish the bar (full when the run completed, where it stopped otherwise)."""
        if self.bar is not None:
            if complete:
                self.bar.update(self.bar.total - self.bar.n)
            self.bar.close()


class TaskProgress:
    """A bar over the runs of a sweep or comparison: one step per finished run."""

    def __init__(self, total: int, label: str, show: bool, file: Any = None) -> None:
        """Count ``total`` runs under ``label`` if ``show``."""
        kwargs: dict[str, Any] = {"file": file} if file is not None else {}
        self.bar = _bar(total=total, desc=label, unit="run", **kwargs) if show else None

    def step(self) -> None:
        """One more run finished."""
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        """Finish the bar."""
        if self.bar is not None:
            self.bar.close()
