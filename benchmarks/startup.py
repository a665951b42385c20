#!/usr/bin/env python3
"""Where the start-up of ``zhengwen fixtures/seed.txt`` goes, stage by stage.

Each run is a fresh interpreter, pinned to one CPU, that loads what the
command loads one stage at a time and notes the clock after each: the
imports, the argument parser, each part of the core the first page needs
(featurizer, models, decoder, title ranker, reasons), and the command itself
on the seed (output to /dev/null), whose page then finds everything loaded.
The interpreter's own start (``python -c pass``) and the whole command as a
user runs it are timed from outside, interleaved with the staged runs. Every
figure is the median over the runs, in wall milliseconds::

    python benchmarks/startup.py [--runs 21] [--cpu N]

The issue's target is the whole command, process start to exit: ≤ 80 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from compare import ROOT, affinity, current_cpus, zhengwen_command  # noqa: E402

SEED = "fixtures/seed.txt"
TARGET_MS = 80

# Runs in the child: every stage's end on the same clock, printed as JSON.
STAGED = """
import time
marks = [("start", time.perf_counter())]
def mark(name):
    marks.append((name, time.perf_counter()))
import zhengwen
mark("import zhengwen")
import zhengwen.cli as cli
mark("import zhengwen.cli")
args = cli.build_parser().parse_args([SEED])
mark("argument parser")
from zhengwen import engine
engine.featurizer()
mark("featurizer")
engine.models()
mark("models")
engine.decoder(engine.ALL_NAMES)
mark("decoder")
engine.ranker()
mark("title ranker")
engine.reasons()
mark("reasons")
import os, sys
sys.stdout = open(os.devnull, "w")
cli.main([SEED])
mark("the seed's page")
import json
print(json.dumps([(n, t - marks[0][1]) for n, t in marks]), file=sys.__stdout__)
"""


def wall(cmd: list[str], pin: list[int] | None) -> float:
    """Wall seconds of ``cmd`` from start to exit."""
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, check=True, preexec_fn=affinity(pin))
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--cpu", type=int, default=None, help="pin to this CPU (default: the last)")
    args = parser.parse_args()
    cpus = current_cpus()
    cpu = args.cpu if args.cpu is not None else (cpus[-1] if cpus else None)
    pin = None if cpu is None else [cpu]

    bare = [sys.executable, "-c", "pass"]
    staged = [sys.executable, "-c", f"SEED = {SEED!r}\n" + STAGED]
    whole = [*zhengwen_command(), SEED]
    for cmd in (bare, whole):  # warm the page cache
        wall(cmd, pin)
    bare_s, whole_s, stages = [], [], []
    for _ in range(args.runs):
        bare_s.append(wall(bare, pin))
        whole_s.append(wall(whole, pin))
        out = subprocess.run(
            staged, cwd=ROOT, capture_output=True, text=True, check=True, preexec_fn=affinity(pin)
        )
        marks = json.loads(out.stdout)
        stages.append([(name, t - prev) for (name, t), (_, prev) in zip(marks[1:], marks)])

    def ms(values: list[float]) -> str:
        return f"{1e3 * statistics.median(values):6.1f}"

    print(f"median of {args.runs} runs, pinned to CPU {cpu}, wall ms")
    print(f"  {'python -c pass (the interpreter)':34} {ms(bare_s)}")
    for i, (name, _) in enumerate(stages[0]):
        print(f"  {name:34} {ms([run[i][1] for run in stages])}")
    total = [sum(t for _, t in run) for run in stages]
    print(f"  {'staged, after the interpreter':34} {ms(total)}")
    print(f"  {'zhengwen ' + SEED + ', whole':34} {ms(whole_s)}  (target ≤ {TARGET_MS})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
