#!/usr/bin/env python3
"""``zhengwen --jsonl`` with one worker and with two, beside the machine's own two-process figure.

    python benchmarks/parallel.py                  # -j 1 / -j 2 on 1,000 pages, the baseline
    python benchmarks/parallel.py --big            # and peak memory on a ~1 GB JSONL (minutes)
    python benchmarks/parallel.py --runs 1 --pages 200 --baseline-seconds 0.5   # a quick look

Issue 23 asks ``-j 2`` ≥ 1.8× ``-j 1`` on a batch of 1,000 pages where the
machine gives two cores, with the machine's own two-process baseline beside it,
and peak memory flat on a 1 GB JSONL.  This script:

1. builds a JSONL of ``--pages`` records (``{"id", "text"}``) from the text
   pages of ``EVAL/<set>/text`` for each set of ``--sets`` (default dev,train),
   repeating them to reach the count, in a temporary folder;
2. runs ``zhengwen --jsonl BATCH -j 1`` and ``-j 2`` (stdout to a file, which
   is checked: one output line a record, error records counted), ``--runs``
   times each, interleaved, and takes the median wall time of each; the ratio
   of the two is the speed-up;
3. runs the machine's baseline the same number of times: one CPU-bound
   pure-Python loop (no I/O, no memory traffic) in one process, then the same
   loop in two processes at once; its speed-up is ``2 × t(one) / t(two)``:
   what two processes can get from this machine at the time, whatever
   zhengwen does;
4. with ``--big``, writes a JSONL of about ``--big-mb`` MB (the batch repeated,
   ids made unique), runs ``zhengwen --jsonl BIG -j 2 > /dev/null`` once, and
   compares its peak memory with the 1,000-page batch's at ``-j 2``.

Memory: ``ru_maxrss`` of the zhengwen process tree (``os.wait4``: the largest
single process, the main one or a worker), and, when psutil is installed
(``zhengwen[bench]``), the summed RSS of the whole tree sampled every 0.1 s
(its peak, and with ``--big`` its value at each quarter of the run: flat means
it does not grow with the input).  Wall times run from process start to exit,
so they include starting the interpreter and the workers (loading the models);
the figures "net of start-up" subtract the time of the same command on a
one-record file.

Run it on the machine's cores (not pinned): ``compare.py --parallel`` starts it
with the CPUs it had before pinning itself to one.  All numbers go to
``--json FILE`` when given.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_EVAL = ROOT.parent / "shared" / "eval"
TARGET = 1.8
"""Issue 23: ``-j 2`` must reach this multiple of ``-j 1``'s throughput."""
SAMPLE_S = 0.1
"""Seconds between RSS samples of the process tree (psutil)."""


# --------------------------------------------------------------------------- inputs


def zhengwen_command() -> list[str]:
    exe = Path(sys.executable).parent / "zhengwen"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("zhengwen")
    return [found] if found else [sys.executable, "-m", "zhengwen"]


def page_texts(eval_dir: Path, sets: list[str]) -> list[tuple[str, str]]:
    """(stem, text) of every text page of the sets, in order."""
    out = []
    for name in sets:
        for f in sorted((eval_dir / name / "text").glob("*.txt")):
            out.append((f.stem, f.read_bytes().decode("utf-8", "replace")))
    if not out:
        sys.exit(f"no text pages under {eval_dir} for sets {sets}")
    return out


def batch_records(pages: list[tuple[str, str]], n: int, start: int = 0) -> list[bytes]:
    """``n`` JSONL lines cycling through ``pages``; ids ``<stem>#<k>`` unique from ``start``."""
    lines = []
    for k in range(start, start + n):
        stem, text = pages[k % len(pages)]
        record = {"id": f"{stem}#{k}", "text": text}
        lines.append(json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n")
    return lines


def write_jsonl(path: Path, lines: list[bytes]) -> int:
    with path.open("wb") as f:
        for line in lines:
            f.write(line)
    return path.stat().st_size


def write_big(path: Path, pages: list[tuple[str, str]], target_bytes: int) -> tuple[int, int]:
    """A JSONL of at least ``target_bytes``, the pages cycled with unique ids; (bytes, records)."""
    size = records = 0
    with path.open("wb") as f:
        while size < target_bytes:
            for line in batch_records(pages, len(pages), start=records):
                f.write(line)
                size += len(line)
                records += 1
                if size >= target_bytes:
                    break
    return size, records


# --------------------------------------------------------------------------- measuring a run


@dataclass
class Run:
    """One process run: wall seconds, CPU seconds of the tree, peak memory."""

    wall_s: float
    cpu_s: float
    maxrss_mb: float  # largest single process of the tree (ru_maxrss)
    exit_code: int
    tree_rss_peak_mb: float | None = None  # summed over the tree, sampled (psutil)
    tree_rss_timeline: list[tuple[float, float]] = field(default_factory=list)  # (s, MB)


class TreeSampler(threading.Thread):
    """Samples the summed RSS of a process and its descendants until stopped (psutil)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        import psutil

        self.psutil, self.root = psutil, psutil.Process(pid)
        self.t0 = time.perf_counter()
        self.samples: list[tuple[float, float]] = []
        self.done = threading.Event()

    def run(self) -> None:
        ps = self.psutil
        while not self.done.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
                rss = 0
                for p in procs:
                    try:
                        rss += p.memory_info().rss
                    except (ps.NoSuchProcess, ps.AccessDenied):
                        pass
                self.samples.append((time.perf_counter() - self.t0, rss / 2**20))
            except (ps.NoSuchProcess, ps.AccessDenied):
                pass
            self.done.wait(SAMPLE_S)


def have_psutil() -> bool:
    try:
        import psutil  # noqa: F401
    except ImportError:
        return False
    return True


def measure(cmd: list[str], stdout: Any) -> Run:
    """Run ``cmd`` to its end: wall time, CPU and ru_maxrss of its tree (``os.wait4``)."""
    with tempfile.TemporaryFile() as stderr:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=stdout, stderr=stderr)
        sampler = TreeSampler(proc.pid) if have_psutil() else None
        if sampler is not None:
            sampler.start()
        # os.wait4 gives the child's rusage, which includes its waited-for
        # descendants (the workers): CPU summed, ru_maxrss the largest of them.
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        err = stderr.read().decode("utf-8", "replace")
    run = Run(
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        maxrss_mb=usage.ru_maxrss / 1024,  # KB on Linux
        exit_code=proc.returncode,
    )
    if sampler is not None:
        sampler.done.set()
        sampler.join()
        if sampler.samples:
            run.tree_rss_peak_mb = max(mb for _, mb in sampler.samples)
            run.tree_rss_timeline = sampler.samples
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)}: exit {proc.returncode}: {err.strip()[-500:]}")
    return run


def zhengwen_jsonl(path: Path, jobs: int) -> list[str]:
    return [*zhengwen_command(), "--jsonl", str(path), "-j", str(jobs), "-q", "--no-progress"]


def check_output(path: Path, n: int) -> int:
    """Error records in a run's output; exits when it has not one line a record."""
    lines = path.read_bytes().splitlines()
    if len(lines) != n:
        sys.exit(f"{path}: {len(lines)} output lines for {n} records")
    return sum(1 for line in lines if "error" in json.loads(line))


# --------------------------------------------------------------------------- the baseline

SPIN = """
import sys
x = 0
for i in range(int(sys.argv[1])):
    x = (x * 31 + i) & 0xFFFFFFFF
"""
"""The baseline's CPU-bound pure-Python loop (run as ``python -c SPIN N``)."""


def spin_iterations(seconds: float) -> int:
    """Iterations of ``SPIN`` that take about ``seconds`` in one process here."""
    n = 200_000
    while True:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", SPIN, str(n)], check=True)
        took = time.perf_counter() - t0
        if took >= 0.2:
            return max(1, int(n * seconds / took))
        n *= 4


def spin(n: int, processes: int) -> float:
    """Wall seconds for ``processes`` copies of the loop started at once to all finish."""
    t0 = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", SPIN, str(n)]) for _ in range(processes)]
    for p in procs:
        if p.wait() != 0:
            sys.exit("the baseline loop failed")
    return time.perf_counter() - t0


# --------------------------------------------------------------------------- figures


def speedup(t_one: float, t_two: float, work_two: float = 1.0) -> float:
    """Throughput of the second run over the first's: ``work_two × t_one / t_two``.

    zhengwen's two runs do the same work (``work_two`` 1); the baseline's second
    run does twice the work of the first (``work_two`` 2).
    """
    return work_two * t_one / t_two


def net_speedup(t_one: float, t_two: float, start_one: float, start_two: float) -> float | None:
    """The speed-up once each run's start-up time is taken off (None if nothing is left)."""
    a, b = t_one - start_one, t_two - start_two
    return a / b if a > 0 and b > 0 else None


def quarter_peaks(timeline: list[tuple[float, float]]) -> list[float]:
    """The highest summed RSS (MB) in each quarter of a run's time (flat: no growth)."""
    if not timeline:
        return []
    end = timeline[-1][0] or 1.0
    peaks = [0.0] * 4
    for t, rss in timeline:
        q = min(3, int(4 * t / end))
        peaks[q] = max(peaks[q], rss)
    return peaks


def mb(x: float | None) -> str:
    return "—" if x is None else f"{x:,.0f} MB"


def cpu_model() -> str:
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                return row.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def usable_cpus() -> list[int]:
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


# --------------------------------------------------------------------------- the runs


def median_of(runs: list[Run], key: str) -> float:
    return statistics.median(getattr(r, key) for r in runs)


def run_summary(runs: list[Run], start_up: list[Run], pages: int) -> dict[str, Any]:
    wall = median_of(runs, "wall_s")
    peaks = [r.tree_rss_peak_mb for r in runs if r.tree_rss_peak_mb is not None]
    return {
        "wall_s_median": wall,
        "pages_per_second": pages / wall,
        "cpu_s_median": median_of(runs, "cpu_s"),
        "maxrss_mb_max": max(r.maxrss_mb for r in runs),
        "tree_rss_peak_mb_max": max(peaks, default=None),
        "start_up_s_median": median_of(start_up, "wall_s"),
        "runs": [{k: v for k, v in asdict(r).items() if k != "tree_rss_timeline"} for r in runs],
    }


def batch_runs(
    tmp: Path, pages: list[tuple[str, str]], n: int, runs: int, baseline_s: float
) -> dict[str, Any]:
    """-j 1 and -j 2 on ``n`` records, and the baseline, ``runs`` times each, interleaved."""
    batch, one = tmp / "batch.jsonl", tmp / "one.jsonl"
    size = write_jsonl(batch, batch_records(pages, n))
    write_jsonl(one, batch_records(pages, 1))
    print(f"batch: {n} records, {size / 1e6:.1f} MB", file=sys.stderr, flush=True)
    n_spin = spin_iterations(baseline_s)
    base: dict[int, list[float]] = {1: [], 2: []}
    zw: dict[int, list[Run]] = {1: [], 2: []}
    start: dict[int, list[Run]] = {1: [], 2: []}
    errors = 0
    for r in range(runs):
        print(f"  run {r + 1}/{runs}", file=sys.stderr, flush=True)
        for procs in (1, 2):
            base[procs].append(spin(n_spin, procs))
        for jobs in (1, 2):
            out = tmp / f"out-j{jobs}.jsonl"
            with out.open("wb") as f:
                zw[jobs].append(measure(zhengwen_jsonl(batch, jobs), f))
            errors += check_output(out, n)
            with (tmp / "out-one.jsonl").open("wb") as f:
                start[jobs].append(measure(zhengwen_jsonl(one, jobs), f))
    j = {jobs: run_summary(zw[jobs], start[jobs], n) for jobs in (1, 2)}
    t = {jobs: j[jobs]["wall_s_median"] for jobs in (1, 2)}
    s = {jobs: j[jobs]["start_up_s_median"] for jobs in (1, 2)}
    b = {procs: statistics.median(base[procs]) for procs in (1, 2)}
    return {
        "batch_bytes": size,
        "zhengwen": {
            "j1": j[1],
            "j2": j[2],
            "error_records": errors,
            "speedup_j2_over_j1": speedup(t[1], t[2]),
            "speedup_net_of_start_up": net_speedup(t[1], t[2], s[1], s[2]),
        },
        "baseline": {
            "loop_iterations": n_spin,
            "one_process_s": base[1],
            "two_processes_s": base[2],
            "one_process_s_median": b[1],
            "two_processes_s_median": b[2],
            "speedup": speedup(b[1], b[2], work_two=2.0),
        },
    }


def batch_lines(result: dict[str, Any]) -> list[str]:
    zw, base = result["zhengwen"], result["baseline"]
    lines = [
        f"parallel: `zhengwen --jsonl` on {result['pages']:,} records "
        f"({result['distinct_pages']} pages of {'+'.join(result['sets'])} repeated, "
        f"{result['batch_bytes'] / 1e6:.1f} MB), {len(result['cpus'])} usable CPUs "
        f"({result['cpu_model']}), median of {result['runs']}"
    ]
    for jobs in (1, 2):
        z = zw[f"j{jobs}"]
        lines.append(
            f"  -j {jobs}: {z['wall_s_median']:.2f} s ({z['pages_per_second']:,.0f} pages/s), "
            f"CPU {z['cpu_s_median']:.2f} s, peak RSS {mb(z['maxrss_mb_max'])} largest process, "
            f"{mb(z['tree_rss_peak_mb_max'])} whole tree; "
            f"start-up (1 record) {z['start_up_s_median']:.2f} s"
        )
    up, net = zw["speedup_j2_over_j1"], zw["speedup_net_of_start_up"]
    met = "met" if up >= TARGET else "not met"
    lines.append(
        f"  -j 2 over -j 1: {up:.2f}× (target ≥ {TARGET}×: {met}); "
        f"net of start-up {'—' if net is None else f'{net:.2f}×'}; "
        f"{zw['error_records']} error records"
    )
    lines.append(
        f"  machine baseline, a pure-Python loop in 2 processes at once vs 1: "
        f"{base['speedup']:.2f}× ({base['one_process_s_median']:.2f} s alone, "
        f"{base['two_processes_s_median']:.2f} s for two); zhengwen gets "
        f"{up / base['speedup']:.0%} of it"
    )
    if len(result["cpus"]) < 2:
        lines.append("  (this process may use one CPU only: the ratios say nothing of -j 2)")
    return lines


def big_run(
    tmp: Path, pages: list[tuple[str, str]], size_mb: float, batch: dict[str, Any]
) -> dict[str, Any]:
    """``zhengwen --jsonl -j 2`` once over a JSONL of about ``size_mb`` MB; its memory."""
    need = 2 * size_mb * 2**20
    free = shutil.disk_usage(tmp).free
    if free < need:
        sys.exit(f"--big: {free / 2**30:.1f} GB free in {tmp}, want {need / 2**30:.1f}")
    big = tmp / "big.jsonl"
    print(f"big: writing ~{size_mb:,.0f} MB to {big}", file=sys.stderr, flush=True)
    big_bytes, records = write_big(big, pages, int(size_mb * 2**20))
    print(f"big: {records:,} records; zhengwen -j 2 ...", file=sys.stderr, flush=True)
    run = measure(zhengwen_jsonl(big, 2), subprocess.DEVNULL)
    timeline = run.tree_rss_timeline
    return {
        "bytes": big_bytes,
        "records": records,
        "jobs": 2,
        "exit_code": run.exit_code,
        "wall_s": run.wall_s,
        "cpu_s": run.cpu_s,
        "maxrss_mb": run.maxrss_mb,
        "tree_rss_peak_mb": run.tree_rss_peak_mb,
        "tree_rss_quarter_peaks_mb": quarter_peaks(timeline),
        "tree_rss_timeline": timeline[:: max(1, len(timeline) // 200)],
        "batch_maxrss_mb": batch["j2"]["maxrss_mb_max"],
        "batch_tree_rss_peak_mb": batch["j2"]["tree_rss_peak_mb_max"],
    }


def big_lines(big: dict[str, Any], batch_pages: int) -> list[str]:
    q = big["tree_rss_quarter_peaks_mb"]
    quarters = (
        f"; whole tree's peak in each quarter of the run: {', '.join(mb(x) for x in q)}"
        if q
        else ""
    )
    return [
        f"  big: {big['bytes'] / 1e9:.2f} GB JSONL, {big['records']:,} records, -j 2: "
        f"{big['wall_s']:.0f} s ({big['records'] / big['wall_s']:,.0f} pages/s), "
        f"exit {big['exit_code']}; peak RSS {mb(big['maxrss_mb'])} largest process "
        f"({batch_pages:,} records: {mb(big['batch_maxrss_mb'])}), "
        f"{mb(big['tree_rss_peak_mb'])} whole tree "
        f"({batch_pages:,} records: {mb(big['batch_tree_rss_peak_mb'])}){quarters}"
    ]


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--eval", type=Path, default=DEFAULT_EVAL, help="the shared eval folder")
    ap.add_argument("--sets", default="dev,train", help="sets whose text pages make the batch")
    ap.add_argument("--pages", type=int, default=1000, help="records in the batch (default 1000)")
    ap.add_argument("--runs", type=int, default=3, help="runs of each command (default 3)")
    ap.add_argument(
        "--baseline-seconds",
        type=float,
        default=3.0,
        help="length of one run of the baseline loop in one process (default 3)",
    )
    ap.add_argument("--big", action="store_true", help="also peak memory on a ~1 GB JSONL")
    ap.add_argument("--big-mb", type=float, default=1024, help="size of --big's JSONL in MB")
    ap.add_argument(
        "--tmp", type=Path, default=None, help="where the JSONL files go (a new folder)"
    )
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--json", type=Path, default=None, help="write every number here")
    args = ap.parse_args(argv)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"

    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    pages = page_texts(args.eval, sets)
    result: dict[str, Any] = {
        "command": sys.argv,
        "cpus": usable_cpus(),
        "cpu_model": cpu_model(),
        "load_average_before": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "psutil": have_psutil(),
        "pages": args.pages,
        "distinct_pages": len(pages),
        "sets": sets,
        "runs": args.runs,
        "target": TARGET,
    }
    tmp = Path(tempfile.mkdtemp(prefix="zw-parallel-", dir=args.tmp))
    try:
        result.update(batch_runs(tmp, pages, args.pages, args.runs, args.baseline_seconds))
        result["met"] = result["zhengwen"]["speedup_j2_over_j1"] >= TARGET
        lines = batch_lines(result)
        if args.big:
            result["big"] = big_run(tmp, pages, args.big_mb, result["zhengwen"])
            lines += big_lines(result["big"], args.pages)
    finally:
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    for line in lines:
        print(line)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
