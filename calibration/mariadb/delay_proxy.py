"""A TCP proxy that adds a constant one-way delay in both directions: the WAN between two servers.

The kernel here has no netem, so the replica reaches its primary through this proxy. For each
accepted connection it opens one to the upstream and runs, per direction, a reader thread (stamps
every chunk it receives with CLOCK_MONOTONIC) and a writer thread (sends each chunk when its stamp
plus the delay has come). One FIFO per direction keeps the byte order; a chunk is never sent
before its time, so the delay is a floor and the proxy's own cost (scheduler wake-up, the GIL) is
added on top: `measure_added_delay` in the harness measures it and the results report it.

Control, one line per command on a TCP port (127.0.0.1 only), answered with one JSON line:
  ``delay MS``    set the one-way delay (both directions) for chunks received from now on
  ``hold``        stop forwarding (bytes are buffered, connections stay open): a silent network
  ``release``     forward again (held chunks go at once, their delay long passed)
  ``cut S``       close every connection and refuse new ones for S seconds: a cut link
  ``events``      the log of accepted/closed connections and cuts (monotonic and wall seconds)
  ``lateness``    the proxy's own delay since the last ``lateness``: per data chunk, when its
                  send finished minus its due time, in microseconds, on the binlog direction
                  (upstream to client, ``lateness_us``) and on the other (client to upstream:
                  the replica's semi-sync acks, ``lateness_up_us``); then forgotten; at most
                  500 000 kept per direction); and ``stalls``: the binlog chunks that left more
                  than 2 ms late, as [due, sent] CLOCK_MONOTONIC seconds (the replica may have
                  idled for want of them)
  ``ping``        liveness

Run as ``python -m calibration.mariadb.delay_proxy --listen-port P --upstream-port U
--control-port C --delay-ms 15``; it prints ``ready`` on stdout when it listens.
"""

from __future__ import annotations

import argparse
import collections
import json
import socket
import sys
import threading
import time

CHUNK = 65536
# A binlog chunk this late (s) is reported as a stall (the proxy, not the replica, held it).
STALL_S = 0.002


class Proxy:
    """The proxy's state; every method is thread-safe."""

    def __init__(self, listen_port: int, upstream_port: int, delay_s: float) -> None:
        """Set up; see the class docstring."""
        self.listen_port = listen_port
        self.upstream_port = upstream_port
        self.delay_s = delay_s
        self._lock = threading.Lock()
        self._held = threading.Event()  # set: hold
        self._events: list[dict] = []
        self._connections: list[tuple[socket.socket, socket.socket]] = []
        self._listener: socket.socket | None = None
        self._refuse_until = 0.0
        # Per data chunk, per direction (upstream -> client "down", client -> upstream "up"): send
        # finished minus due (s). What the proxy adds on top of the delay, measured under the
        # run's own load (not in a ping test beside it).
        self._lateness: dict[str, collections.deque[float]] = {
            d: collections.deque(maxlen=500_000) for d in ("down", "up")
        }
        # Binlog chunks sent more than STALL_S after their due time: (due, sent) monotonic s.
        self._stalls: collections.deque[tuple[float, float]] = collections.deque(maxlen=100_000)
        self._listen()

    # --- listening --------------------------------------------------------------------------
    def _listen(self) -> None:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.listen_port))
        s.listen(16)
        self._listener = s
        threading.Thread(target=self._accept_loop, args=(s,), daemon=True).start()

    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by cut()
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            for s in (client, upstream):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._connections.append((client, upstream))
                self._log("accepted")
            self._pipe(client, upstream, self._lateness["up"])
            self._pipe(upstream, client, self._lateness["down"], self._stalls)

    # --- one direction ----------------------------------------------------------------------
    def _pipe(
        self,
        src: socket.socket,
        dst: socket.socket,
        late: collections.deque,
        stalls: collections.deque | None = None,
    ) -> None:
        queue: collections.deque[tuple[float, bytes]] = collections.deque()
        ready = threading.Condition()

        def reader() -> None:
            while True:
                try:
                    data = src.recv(CHUNK)
                except OSError:
                    data = b""
                stamp = time.monotonic()
                with ready:
                    queue.append((stamp + self.delay_s, data))
                    ready.notify()
                if not data:
                    return

        def writer() -> None:
            while True:
                with ready:
                    while not queue:
                        ready.wait()
                    due, data = queue[0]
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                while self._held.is_set():
                    time.sleep(0.001)
                with ready:
                    queue.popleft()
                if not data:
                    self._close(src, dst)
                    return
                try:
                    dst.sendall(data)
                except OSError:
                    self._close(src, dst)
                    return
                sent = time.monotonic()
                late.append(sent - due)  # deque.append: thread-safe
                if stalls is not None and sent - due > STALL_S:
                    stalls.append((due, sent))

        threading.Thread(target=reader, daemon=True).start()
        threading.Thread(target=writer, daemon=True).start()

    def _close(self, a: socket.socket, b: socket.socket) -> None:
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        with self._lock:
            for pair in list(self._connections):
                if a in pair or b in pair:
                    self._connections.remove(pair)
                    self._log("closed")

    def _log(self, what: str, **extra: object) -> None:
        # REQUIRES: self._lock held.
        self._events.append(
            {"event": what, "monotonic_s": time.monotonic(), "wall_s": time.time(), **extra}
        )

    # --- control ----------------------------------------------------------------------------
    def set_delay(self, delay_s: float) -> None:
        """Set the one-way delay for chunks received from now on."""
        self.delay_s = delay_s

    def hold(self, on: bool) -> None:
        """Stop (True) or resumes (False) forwarding; connections stay open."""
        with self._lock:
            self._log("hold" if on else "release")
        if on:
            self._held.set()
        else:
            self._held.clear()

    def cut(self, seconds: float) -> None:
        """Close every connection and the listener; listens again after `seconds`."""
        with self._lock:
            self._log("cut", seconds=seconds)
            listener, self._listener = self._listener, None
            pairs = list(self._connections)
        if listener is not None:
            # shutdown() first: it wakes the thread blocked in accept() and stops listening at
            # once (close() alone leaves the socket listening while accept() holds it).
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        for client, upstream in pairs:
            for s in (client, upstream):
                try:
                    s.shutdown(socket.SHUT_RDWR)  # wakes the readers: both peers see EOF
                except OSError:
                    pass
        threading.Timer(seconds, self._restore).start()

    def _restore(self) -> None:
        with self._lock:
            self._log("restored")
        self._listen()

    def take_lateness(self, direction: str = "down") -> list[float]:
        """Return the lateness samples (s) recorded in `direction` and forget them."""
        late, out = self._lateness[direction], []
        while True:
            try:
                out.append(late.popleft())
            except IndexError:
                return out

    def take_stalls(self) -> list[tuple[float, float]]:
        """Return the late binlog chunks' (due, sent) recorded so far and forget them."""
        out = []
        while True:
            try:
                out.append(self._stalls.popleft())
            except IndexError:
                return out

    def events(self) -> list[dict]:
        """Return a copy of the event log."""
        with self._lock:
            return list(self._events)


def serve_control(proxy: Proxy, port: int) -> None:
    """Answers control commands on 127.0.0.1:port, one connection at a time, forever."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(4)
    print("ready", flush=True)
    while True:
        conn, _ = server.accept()
        with conn, conn.makefile("rw") as f:
            for line in f:
                words = line.split()
                try:
                    answer = _command(proxy, words)
                except (ValueError, IndexError) as e:
                    answer = {"ok": False, "error": f"bad command {line.strip()!r}: {e}"}
                f.write(json.dumps(answer) + "\n")
                f.flush()


def _command(proxy: Proxy, words: list[str]) -> dict:
    cmd = words[0] if words else ""
    if cmd == "delay":
        proxy.set_delay(float(words[1]) / 1000.0)
    elif cmd == "hold":
        proxy.hold(True)
    elif cmd == "release":
        proxy.hold(False)
    elif cmd == "cut":
        proxy.cut(float(words[1]))
    elif cmd == "events":
        return {"ok": True, "events": proxy.events()}
    elif cmd == "lateness":
        return {
            "ok": True,
            "lateness_us": [round(x * 1e6, 1) for x in proxy.take_lateness("down")],
            "lateness_up_us": [round(x * 1e6, 1) for x in proxy.take_lateness("up")],
            "stalls": [[round(a, 6), round(b, 6)] for a, b in proxy.take_stalls()],
        }
    elif cmd != "ping":
        raise ValueError("allowed: delay MS, hold, release, cut S, events, lateness, ping")
    return {"ok": True}


class ProxyControl:
    """The harness's side of the control port."""

    def __init__(self, port: int) -> None:
        """Set up; see the class docstring."""
        self._sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self._file = self._sock.makefile("rw")

    def send(self, line: str) -> dict:
        """Send one command and returns its JSON answer; raises RuntimeError on an error."""
        self._file.write(line + "\n")
        self._file.flush()
        answer = json.loads(self._file.readline())
        if not answer.get("ok"):
            raise RuntimeError(f"delay proxy: {answer.get('error')}")
        return answer

    def close(self) -> None:
        """Close the control connection (the proxy keeps running)."""
        self._file.close()
        self._sock.close()


def main(argv: list[str] | None = None) -> int:
    """Run the proxy's command line."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--listen-port", type=int, required=True)
    p.add_argument("--upstream-port", type=int, required=True)
    p.add_argument("--control-port", type=int, required=True)
    p.add_argument("--delay-ms", type=float, default=0.0)
    a = p.parse_args(argv)
    proxy = Proxy(a.listen_port, a.upstream_port, a.delay_ms / 1000.0)
    serve_control(proxy, a.control_port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
