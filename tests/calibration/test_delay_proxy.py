"""calibration/mariadb/delay_proxy.py: a constant one-way delay both ways, byte order kept."""

import socket
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from calibration.mariadb.delay_proxy import ProxyControl  # noqa: E402
from calibration.mariadb.processes import free_port, start_managed, wait_for_port  # noqa: E402

DELAY_MS = 20.0


@pytest.fixture()
def proxied_echo():
    echo = socket.socket()
    echo.bind(("127.0.0.1", 0))
    echo.listen(4)

    def serve():
        while True:
            try:
                conn, _ = echo.accept()
            except OSError:
                return
            with conn:
                while data := conn.recv(65536):
                    conn.sendall(data)

    threading.Thread(target=serve, daemon=True).start()
    listen, control = free_port(), free_port()
    proxy = start_managed(
        [
            sys.executable,
            str(ROOT / "calibration/mariadb/delay_proxy.py"),
            f"--listen-port={listen}",
            f"--upstream-port={echo.getsockname()[1]}",
            f"--control-port={control}",
            f"--delay-ms={DELAY_MS}",
        ],
        name="test-proxy",
    )
    wait_for_port(control)
    ctl = ProxyControl(control)
    yield listen, ctl
    ctl.close()
    proxy.stop()
    echo.close()


def round_trip(sock, payload):
    t = time.monotonic()
    sock.sendall(payload)
    got = b""
    while len(got) < len(payload):
        got += sock.recv(65536)
    return time.monotonic() - t, got


def test_a_round_trip_takes_twice_the_delay_and_never_less(proxied_echo):
    port, _ = proxied_echo
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        rtts = [round_trip(s, b"x" * 64)[0] for _ in range(30)]
    # The delay is a floor (a chunk never leaves early); the proxy's own cost comes on top, and
    # on an idle or busy machine stays far below one delay.
    assert min(rtts) >= 2 * DELAY_MS / 1e3
    assert sorted(rtts)[15] < 2 * DELAY_MS / 1e3 + 0.010


def test_bytes_come_back_in_order_whatever_the_chunking(proxied_echo):
    port, _ = proxied_echo
    payload = bytes(i % 251 for i in range(300_000))
    with socket.create_connection(("127.0.0.1", port)) as s:
        _, got = round_trip(s, payload)
    assert got == payload


def test_a_cut_closes_the_connection_and_refuses_new_ones_until_it_ends(proxied_echo):
    port, ctl = proxied_echo
    s = socket.create_connection(("127.0.0.1", port))
    round_trip(s, b"ping")
    ctl.send("cut 1.5")
    s.settimeout(2)
    assert s.recv(10) == b"", "the open connection sees the cut"
    s.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1)
    time.sleep(2.0)
    with socket.create_connection(("127.0.0.1", port)) as again:
        assert round_trip(again, b"back")[1] == b"back"
    kinds = [e["event"] for e in ctl.send("events")["events"]]
    assert kinds.index("cut") < kinds.index("restored") < len(kinds) - 1
    assert kinds[-1] == "accepted"


def test_a_hold_delays_everything_until_release_and_loses_nothing(proxied_echo):
    port, ctl = proxied_echo
    with socket.create_connection(("127.0.0.1", port)) as s:
        ctl.send("hold")
        threading.Timer(0.5, lambda: ctl.send("release")).start()
        rtt, got = round_trip(s, b"held")
    assert got == b"held"
    assert rtt >= 0.5


def test_a_bad_command_is_answered_with_what_is_allowed(proxied_echo):
    _, ctl = proxied_echo
    with pytest.raises(RuntimeError, match="allowed: delay MS"):
        ctl.send("jump 3")


def test_lateness_is_recorded_per_chunk_in_each_direction_and_then_forgotten(proxied_echo):
    port, ctl = proxied_echo
    ctl.send("lateness")  # forget the fixture's start
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        rtts = [round_trip(s, b"y" * 32)[0] for _ in range(10)]
    # One chunk each way per round trip (TCP_NODELAY, one small send at a time): ten each. A
    # chunk's lateness is recorded once its send has finished, which may be just after the echo
    # reached us (the proxy's writer thread can be preempted in between), so collect for a while.
    late = {"lateness_us": [], "lateness_up_us": []}
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        more = ctl.send("lateness")
        for key in late:
            late[key] += more[key]
        if all(len(v) >= 10 for v in late.values()):
            break
        time.sleep(0.05)
    assert len(late["lateness_up_us"]) == 10
    assert len(late["lateness_us"]) == 10
    # Never negative (no chunk leaves before its due time), and what the proxy adds after the
    # due time cannot exceed what the round trip took beyond the two delays.
    for lateness in (late["lateness_us"], late["lateness_up_us"]):
        assert min(lateness) >= 0
        assert max(lateness) / 1e6 < max(rtts) - 2 * DELAY_MS / 1e3
    again = ctl.send("lateness")
    assert again["lateness_us"] == [] and again["lateness_up_us"] == []
