"""A page opened in headless Chromium, inspected through the DevTools protocol over a pipe.

Chromium (Debian's ``chromium``, installed by scripts/setup) is started with
``--remote-debugging-pipe``: it reads protocol commands on fd 3 and writes replies and events on
fd 4, each a JSON text ended by a NUL byte, so no network socket and no websocket library is
needed. Everything else that could reach the network is switched off. :func:`inspect` loads a
file and reports what a person would see: console errors and uncaught exceptions, requests that
left the file (anything but ``file:`` and ``data:``), every ``<img>`` with whether it rendered, and
a PNG screenshot.
"""

from __future__ import annotations

import base64
import fcntl
import io
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLAGS = [
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-pipe",
]


@dataclass
class Page:
    """What the browser saw of one page."""

    errors: list[str] = field(default_factory=list)  # console errors, exceptions, failed loads
    requests: list[str] = field(default_factory=list)  # every URL the page asked for
    images: list[dict[str, Any]] = field(default_factory=list)  # complete, width, height, alt
    figures: int = 0  # <figure> elements in the DOM
    screenshot: bytes = b""  # PNG
    seconds: float = 0.0  # wall time from start to close

    @property
    def external_requests(self) -> list[str]:
        """Requests for anything outside the file itself."""
        return [u for u in self.requests if not u.startswith(("file:", "data:"))]


def chromium() -> str:
    """The Chromium executable (fails, not skips, when missing: scripts/setup installs it)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "chromium is not installed (scripts/setup installs Debian's chromium)"
    return path


class _Pipe:
    def __init__(self, write_fd: int, read_fd: int) -> None:
        self.write_fd = write_fd
        self.read_fd = read_fd
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            assert left > 0, "chromium did not answer in time"
            ready, _, _ = select.select([self.read_fd], [], [], left)
            if ready:
                chunk = os.read(self.read_fd, 1 << 20)
                assert chunk, "chromium closed the debugging pipe"
                self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, session: str | None = None, timeout: float = 30, **params: Any):
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self.next_id:
                assert "error" not in reply, f"{method}: {reply['error']}"
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 30) -> dict[str, Any]:
        for i, e in enumerate(self.events):
            if e.get("method") == method:
                return self.events.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            e = self._read_message(deadline)
            if e.get("method") == method:
                return e
            self.events.append(e)


_FIGURES_JS = """JSON.stringify({
  figures: document.querySelectorAll("figure").length,
  images: Array.from(document.images).map(i => ({
    complete: i.complete, width: i.naturalWidth, height: i.naturalHeight, alt: i.alt,
    shown: i.getBoundingClientRect().width > 0 && i.getBoundingClientRect().height > 0
  }))
})"""


def inspect(path: str | os.PathLike[str], width: int = 1200, height: int = 2400) -> Page:
    """Open ``path`` in headless Chromium and report what it showed (screenshot: the top
    ``height`` CSS pixels of the page at ``width``)."""
    started = time.monotonic()
    url = Path(path).resolve().as_uri()
    page = Page()
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()

    def wire_fds() -> None:  # in the child: its fd 3 reads commands, its fd 4 writes replies
        # Through fds above 9 first: a pipe end may itself be fd 3 or 4.
        commands = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
        replies = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
        os.dup2(commands, 3)
        os.dup2(replies, 4)

    with tempfile.TemporaryDirectory(prefix="geodes-chromium-") as profile:
        flags = [*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},900"]
        if os.geteuid() == 0:
            flags.append("--no-sandbox")  # Chromium's sandbox refuses to run as root
        child = subprocess.Popen(
            [chromium(), *flags, "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire_fds,
            pass_fds=(3, 4),
        )
        os.close(to_child_r)
        os.close(from_child_w)
        pipe = _Pipe(to_child_w, from_child_r)
        try:
            target = pipe.send("Target.createTarget", url="about:blank")["targetId"]
            session = pipe.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                pipe.send(f"{domain}.enable", session)
            pipe.send("Page.navigate", session, url=url)
            pipe.wait_for("Page.loadEventFired")
            found = json.loads(
                pipe.send("Runtime.evaluate", session, expression=_FIGURES_JS, returnByValue=True)[
                    "result"
                ]["value"]
            )
            page.figures = found["figures"]
            page.images = found["images"]
            metrics = pipe.send("Page.getLayoutMetrics", session)
            content = metrics.get("cssContentSize", metrics.get("contentSize"))
            clip = {
                "x": 0,
                "y": 0,
                "width": width,
                "height": min(height, int(content["height"])),
                "scale": 1,
            }
            shot = pipe.send(
                "Page.captureScreenshot",
                session,
                format="png",
                clip=clip,
                captureBeyondViewport=True,
            )
            page.screenshot = base64.b64decode(shot["data"])
            for e in pipe.events:
                method, params = e.get("method"), e.get("params", {})
                if method == "Runtime.exceptionThrown":
                    page.errors.append(str(params["exceptionDetails"].get("text")))
                elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
                    page.errors.append(" ".join(str(a.get("value")) for a in params["args"]))
                elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                    page.errors.append(params["entry"]["text"])
                elif method == "Network.requestWillBeSent":
                    page.requests.append(params["request"]["url"])
                elif method == "Network.loadingFailed":
                    page.errors.append(f"load failed: {params.get('errorText')}")
            try:
                pipe.send("Browser.close", timeout=10)
            except AssertionError:
                pass
        finally:
            os.close(to_child_w)
            os.close(from_child_r)
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
    page.seconds = time.monotonic() - started
    return page


def ink(png: bytes) -> tuple[float, int]:
    """Return (fraction of pixels that are not near-white, distinct colours) of a PNG."""
    import numpy as np
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3)
    inked = float(np.mean(pixels.min(axis=1) < 240))
    colours = len(np.unique(pixels[:: max(1, len(pixels) // 200_000)], axis=0))
    return inked, colours
