"""`python -m calibration.mariadb`: calibrate geodes' MySQL channel against a real MariaDB replica.

Starts a primary, a replica and the delay proxy (all on 127.0.0.1, temporary datadirs), runs the
experiments of `calibration.mariadb.experiments`, stops everything (also on Ctrl-C or failure),
and writes OUT/results.json, OUT/lag_vs_load.png and OUT/table.md. `make calibrate-mysql` runs it;
`--smoke` is the one-minute version `make test` runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from calibration.mariadb import processes, report
from calibration.mariadb.cluster import Cluster, ClusterOptions
from calibration.mariadb.experiments import Harness, Plan, keep_awake, loadavg
from calibration.mariadb.servers import MariadbUnavailable, find_mariadb, server_version

# The smoke run checks the harness end to end in about a minute, whatever else the machine does:
# the replica on tmpfs (no fsync, so no dependence on a shared disk), one modest rate.
SMOKE = Plan(
    loads=(0.5,),
    fixed_rate=300.0,
    parallel_loads=(),
    run_s=30.0,
    trim_s=5.0,
    drain_writes=2000,
    pings=600,
    fallback=False,
    cut=False,
    predict_s=120.0,
    loaded_drain_backlog=0,
)


def wait_quiet(limit: float, max_wait_s: float, log) -> list[float]:
    """Wait (up to max_wait_s) until the 1-minute load average is below `limit`."""
    deadline = time.monotonic() + max_wait_s
    while os.getloadavg()[0] > limit and time.monotonic() < deadline:
        log(f"waiting for a quiet machine: load {os.getloadavg()[0]:.2f} > {limit}")
        time.sleep(30)
    return loadavg()


def run(args: argparse.Namespace) -> dict:
    """Run the whole calibration; returns the results dict."""

    def log(msg: str) -> None:
        print(f"calibrate-mysql: {msg}", flush=True)

    plan = SMOKE if args.smoke else Plan()
    if args.run_s:
        plan.run_s = args.run_s
    if args.seed is not None:
        plan.seed = args.seed
    if args.load_reference:
        plan.load_reference = args.load_reference
    if args.loads:
        plan.loads = plan.parallel_loads = tuple(float(x) for x in args.loads.split(","))
    if args.skip:
        skip = set(args.skip.split(","))
        unknown = skip - {"single", "parallel", "semi_sync", "fallback", "cut"}
        if unknown:
            raise SystemExit(f"calibrate-mysql: --skip: unknown experiment(s) {sorted(unknown)}")
        plan.loads = () if "single" in skip else plan.loads
        plan.parallel_loads = () if "parallel" in skip else plan.parallel_loads
        plan.semi_sync_s = 0.0 if "semi_sync" in skip else plan.semi_sync_s
        plan.fallback = plan.fallback and "fallback" not in skip
        plan.cut = plan.cut and "cut" not in skip
    la_start = wait_quiet(args.quiet_load, args.max_wait_s, log) if args.quiet_load else loadavg()
    results: dict = {
        "mariadb": server_version(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "loadavg_start": la_start,
        "plan": dict(plan.__dict__),
    }
    # The primary lives on tmpfs (its fsyncs are free, so it never competes with the replica for
    # the disk); the replica on the disk, where its fsyncs make its service time.
    shm = Path("/dev/shm")
    primary_base = shm if shm.is_dir() and os.access(shm, os.W_OK) else None
    options = ClusterOptions(delay_ms=args.delay_ms, pin_cpus=not args.no_pin)
    with (
        tempfile.TemporaryDirectory(prefix="geodes-calib-p-", dir=primary_base) as proot,
        tempfile.TemporaryDirectory(
            prefix="geodes-calib-r-", dir=primary_base if args.smoke else args.replica_dir
        ) as rroot,
    ):
        processes.remove_on_signal(proot)
        processes.remove_on_signal(rroot)
        cluster = Cluster(Path(proot), Path(rroot), options)
        awake = None
        try:
            log("starting the primary, the replica and the delay proxy")
            cluster.start()
            results["conditions"] = {
                "delay_ms": options.delay_ms,
                "primary_datadir": "tmpfs" if primary_base else "disk",
                "replica_datadir": "tmpfs" if args.smoke and primary_base else "disk",
                "primary": "innodb_flush_log_at_trx_commit=1, sync_binlog=0",
                "replica": "innodb_flush_log_at_trx_commit=1, sync_binlog=1, log_slave_updates=ON",
                "replica_cpus": sorted(cluster.replica.config.cpus or []),
                "replica_cpu_kept_awake": bool(args.keep_awake),
                "other_cpus": sorted(cluster.other_cpus or []),
                "ports": {
                    "primary": cluster.primary.port,
                    "replica": cluster.replica.port,
                    "proxy": cluster.proxy_port,
                    "proxy_control": cluster.control_port,
                },
            }
            h = Harness(cluster, plan, log)
            log("measuring the proxy's own delay")
            results["proxy"] = h.proxy_delay(plan.pings)
            log(f"  adds {results['proxy']['added_one_way_ms']['mean']:.3f} ms one way")
            log("fsync in the replica's datadir, its CPU idle and busy")
            results["disk"] = h.disk_probe()
            d = results["disk"]
            log(f"  {d['cpu_idle']['mean_ms']:.2f} ms idle, {d['cpu_busy']['mean_ms']:.2f} ms busy")
            if args.keep_awake:
                log("keeping the replica's CPU awake (a SCHED_IDLE spinner on it)")
                awake = keep_awake(cluster.replica.config.cpus)
            log("measuring the applier's service time (drain)")
            results["service_time"] = h.service_time()
            st = results["service_time"]
            log(f"  mean {st['mean_us']:.0f} us, capacity {st['capacity_per_s']:.0f}/s")
            results["single"] = [h.poisson(f, 1) for f in plan.loads]
            if plan.parallel_loads:
                cluster.configure_replica(parallel_threads=4, semi_sync=False)
                results["parallel"] = [h.poisson(f, 4) for f in plan.parallel_loads]
                cluster.configure_replica(parallel_threads=0, semi_sync=False)
            if len(plan.loads) and plan.loads[0] == 0.2 and plan.semi_sync_s and not args.smoke:
                log("semi-sync commit latency")
                base = results["single"][0]["driver"]["commit_from_due_ms_mean"]
                results["semi_sync"] = h.semi_sync(0.2, base)
            if plan.fallback:
                log("semi-sync timeout fallback (the proxy stops forwarding)")
                results["semi_sync_fallback"] = h.semi_sync_fallback(100.0)
            if plan.cut:
                log("link cut")
                results["link_cut"] = h.link_cut(0.2)
        finally:
            if awake is not None:
                awake.kill()  # our own child, by its pid
                awake.join()
            cluster.stop()
            processes.stop_all()
    results["loadavg_end"] = loadavg()
    results["table"] = report.table(results)
    if args.raw:
        write_raw(h.raw, args.out / "raw")
    return results


def write_raw(raw: dict, out: Path) -> None:
    """Write each of `Harness.raw`'s tables to OUT/raw/<name>.csv (each file via a rename)."""
    out.mkdir(parents=True, exist_ok=True)
    for name, (header, rows) in raw.items():
        tmp = out / f"{name}.csv.tmp"
        fmt = ["%d" if col == "id" else "%.6f" for col in header.split(",")]
        np.savetxt(
            tmp, rows.reshape(-1, len(fmt)), delimiter=",", header=header, comments="", fmt=fmt
        )
        os.replace(tmp, out / f"{name}.csv")


def main(argv: list[str] | None = None) -> int:
    """Run the command line."""
    p = argparse.ArgumentParser(prog="python -m calibration.mariadb", description=__doc__)
    p.add_argument("--out", type=Path, default=Path("build/calibration/mariadb"))
    p.add_argument("--smoke", action="store_true", help="one rate, about a minute")
    p.add_argument("--delay-ms", type=float, default=15.0, help="one-way WAN delay")
    p.add_argument("--run-s", type=float, default=None, help="seconds per Poisson run")
    p.add_argument("--loads", default=None, help="fractions of capacity, e.g. 0.2,0.5")
    p.add_argument("--replica-dir", default=None, help="parent of the replica's datadir (disk)")
    p.add_argument("--no-pin", action="store_true", help="do not give the replica its own CPU")
    p.add_argument(
        "--quiet-load",
        type=float,
        default=None,
        help="wait until the 1-minute load average is below this before starting",
    )
    p.add_argument("--max-wait-s", type=float, default=1800.0)
    p.add_argument(
        "--keep-awake",
        action="store_true",
        help="keep the replica's CPU from idling (a SCHED_IDLE spinner): fsyncs at the disk's "
        "speed, not the virtual machine's idle wake-up (see docs/calibration.md)",
    )
    p.add_argument(
        "--skip",
        default=None,
        help="experiments not to run, comma-separated: single,parallel,semi_sync,fallback,cut",
    )
    p.add_argument(
        "--load-reference",
        choices=("loaded", "idle"),
        default=None,
        help="what the loads are fractions of: the applier's capacity under that load (loaded, "
        "the default) or the idle drain's at the start (idle, runs A-D)",
    )
    p.add_argument("--seed", type=int, default=None, help="the Poisson schedules' seed (1)")
    p.add_argument(
        "--raw",
        action="store_true",
        help="also write each Poisson run's rows (id, src, trigger, visible, due) to OUT/raw/",
    )
    args = p.parse_args(argv)
    try:
        find_mariadb()
    except MariadbUnavailable as e:
        print(f"calibrate-mysql: {e}", file=sys.stderr)
        return 3
    processes.install_signal_handlers()
    results = run(args)
    args.out.mkdir(parents=True, exist_ok=True)
    report.write_json(results, args.out / "results.json")
    report.figure(results, args.out / "lag_vs_load.png")
    md = report.markdown(results["table"])
    tmp = args.out / "table.md.tmp"
    tmp.write_text(md + "\n")
    os.replace(tmp, args.out / "table.md")
    print(md)
    print(f"calibrate-mysql: wrote {args.out}/results.json, lag_vs_load.png, table.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
