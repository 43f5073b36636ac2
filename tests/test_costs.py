"""Costos leídos de /proc: CPU-s de un árbol de procesos (con los hijos ya recogidos) y RSS pico."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from helpers import costs, kafka_local

BUSY = "import time\nend = time.process_time() + {s}\nwhile time.process_time() < end: pass\n"
HOLD = ("import time\nblock = bytearray({mib} * 1024 * 1024)\n"
        "block[::4096] = b'x' * len(block[::4096])\ntime.sleep({s})\n")


def test_tree_includes_children_with_their_parent():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        time.sleep(0.2)
        tree = costs.process_tree(os.getpid())
        assert tree[child.pid] == os.getpid()
        assert tree[os.getpid()] == 0
    finally:
        child.kill()
        child.wait()


def test_cpu_of_a_child_that_ended_is_not_lost():
    with costs.CostMeter(interval_s=0.05) as meter:
        subprocess.run([sys.executable, "-c", BUSY.format(s=1.0)], check=True)
    # Un segundo de CPU del hijo (más su arranque), ya recogido: está en el cutime de este proceso.
    assert 0.9 <= meter.result.cpu_s <= 3.0, meter.result
    assert meter.result.processes >= 2
    assert meter.result.wall_s >= 1.0


def test_peak_memory_of_a_live_child():
    with costs.CostMeter(interval_s=0.05) as meter:
        child = subprocess.Popen([sys.executable, "-c", HOLD.format(mib=200, s=1.0)])
        time.sleep(0.8)
    child.wait()
    assert meter.result.peak_rss_mib >= 200, meter.result
    assert meter.result.peak_hwm_mib >= meter.result.peak_rss_mib * 0.9


def test_idle_and_busy_cpu_per_minute():
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(10)"])
    busy = subprocess.Popen([sys.executable, "-c", BUSY.format(s=10)])
    try:
        time.sleep(0.3)
        resting = costs.idle_cpu_per_minute([idle.pid], seconds=1.5)
        working = costs.idle_cpu_per_minute([busy.pid], seconds=1.5)
        # Un núcleo entero son 60 CPU-s por minuto; con la máquina compartida, el ocupado recibe
        # menos, pero siempre muchísimo más que el que duerme.
        assert resting < 1.0
        assert working > 3.0 and working > 5 * resting
    finally:
        for process in (idle, busy):
            process.kill()
            process.wait()


def test_broker_is_measured_apart(bootstrap):
    pid = kafka_local.running_pid()
    assert pid is not None
    with costs.CostMeter(extra_pids=[pid]) as meter:
        time.sleep(0.3)
    assert set(meter.result.extra_cpu_s) == {pid}
    assert meter.result.extra_cpu_s[pid] >= 0
    assert pid not in costs.process_tree(os.getpid())


@pytest.mark.parametrize("pid", [2**22 + 17])
def test_vanished_process_reads_as_zero(pid):
    assert costs.cpu_seconds(pid) == 0.0
    assert costs.memory_kib(pid) == (0, 0)
    assert costs.children(pid) == []


def test_cpu_between_interpolates_the_timeline():
    timeline = [(100.0, 1.0), (101.0, 1.5), (103.0, 3.5)]
    assert costs.cpu_between(timeline, 100.0, 103.0) == pytest.approx(2.5)
    assert costs.cpu_between(timeline, 100.5, 102.0) == pytest.approx(2.5 - 1.25)
    with pytest.raises(ValueError, match="vacía"):
        costs.cpu_between([], 0, 1)


def test_timeline_follows_a_busy_child():
    with costs.CostMeter(interval_s=0.05) as meter:
        child = subprocess.Popen([sys.executable, "-c", BUSY.format(s=0.8)])
        child.wait()
        time.sleep(0.1)
    times = [t for t, _ in meter.timeline]
    assert times == sorted(times) and len(times) >= 5
    spent = costs.cpu_between(meter.timeline, times[0], times[-1])
    assert spent == pytest.approx(meter.result.cpu_s, abs=0.05)
