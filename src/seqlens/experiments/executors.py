"""Where units run: in this process, in local worker processes, or as Ray tasks.

Every executor calls its ``job`` (:func:`seqlens.experiments.work.run_unit`; any importable
function with its signature, e.g. in tests) for each unit and reports
back through three callbacks, ``on_start(unit)``, ``on_done(unit, output)`` and
``on_fail(unit, message, traceback)``; the driver (:func:`seqlens.experiments.run_study`)
alone writes the output folder. A unit that raises is reported as failed and the others go
on; a worker that dies loses only the unit it was running.

- :class:`InlineExecutor`: one unit after another in this process (``--workers 0``; no
  isolation, for debugging).
- :class:`LocalExecutor` (default): ``workers`` processes started with ``spawn``, each
  loading the dataset once and running ``threads`` torch threads (cores / workers).
- :class:`RayExecutor`: Ray core tasks (``pip install 'seqlens[ray]'``) on a local Ray
  instance, or on the cluster at ``address``; the dataset goes to the object store once.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import wait

from ..errors import StudyError
from .store import format_exception
from .units import Unit
from .work import run_unit

OnStart = Callable[[Unit], None]
OnDone = Callable[[Unit, object], None]
OnFail = Callable[[Unit, str, str | None], None]


def available_cores() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def threads_per_worker(workers: int, cores: int | None = None) -> int:
    """torch threads for each of ``workers`` workers sharing ``cores`` cores (at least 1)."""
    return max(1, (cores or available_cores()) // max(1, workers))


def _set_threads(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


@dataclass
class InlineExecutor:
    """Run units one after another in this process."""

    threads: int | None = None
    job: Callable = run_unit

    def run(self, units: list[Unit], dataset, data_path, on_start: OnStart, on_done: OnDone, on_fail: OnFail) -> None:
        if self.threads:
            _set_threads(self.threads)
        for unit in units:
            on_start(unit)
            try:
                output = self.job(unit.settings, dataset)
            except Exception as exc:  # a failing unit must not stop the others
                on_fail(unit, *format_exception(exc))
            else:
                on_done(unit, output)


def _exit_with_parent() -> None:
    """End this worker as soon as the driver process ends, however it ended (SIGKILL too)."""
    parent = mp.parent_process()
    if parent is None:
        return

    def watch():
        wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="seqlens-parent-watch").start()


def _worker_main(conn, data_path: str, threads: int, job: Callable) -> None:
    """A local worker: load the dataset once, then run the units the driver sends until ``None``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle
    _exit_with_parent()
    from ..data import load_h5

    _set_threads(threads)
    dataset = load_h5(data_path)
    while True:
        message = conn.recv()
        if message is None:
            return
        name, settings = message
        _set_threads(threads)  # whatever the previous unit's libraries left behind
        try:
            output = job(settings, dataset)
        except Exception as exc:
            conn.send(("error", name, format_exception(exc)))
        else:
            conn.send(("ok", name, output))


class _Worker:
    def __init__(self, context, data_path: str, threads: int, job: Callable):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, str(data_path), threads, job), daemon=True)
        self.process.start()
        child.close()
        self.unit: Unit | None = None

    def stop(self, timeout: float = 5.0) -> None:
        try:
            self.conn.send(None)
        except (OSError, EOFError):
            pass
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout)


@dataclass
class LocalExecutor:
    """``workers`` worker processes on this machine, ``threads`` torch threads each."""

    workers: int = 1
    threads: int | None = None
    job: Callable = run_unit

    def run(self, units: list[Unit], dataset, data_path, on_start: OnStart, on_done: OnDone, on_fail: OnFail) -> None:
        if not units:
            return
        context = mp.get_context("spawn")
        threads = self.threads or threads_per_worker(self.workers)
        pending = deque(units)
        pool = [_Worker(context, data_path, threads, self.job) for _ in range(min(self.workers, len(units)))]
        try:
            while pending or any(w.unit is not None for w in pool):
                for worker in pool:
                    if worker.unit is None and pending:
                        worker.unit = pending.popleft()
                        worker.conn.send((worker.unit.name, worker.unit.settings))
                        on_start(worker.unit)
                busy = [w for w in pool if w.unit is not None]
                ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
                for index, worker in enumerate(pool):
                    if worker.unit is None:
                        continue
                    if worker.conn in ready or worker.conn.poll():
                        try:
                            status, _name, payload = worker.conn.recv()
                        except (EOFError, OSError):
                            status, payload = "died", None
                        if status != "died":
                            unit, worker.unit = worker.unit, None
                            (on_done(unit, payload) if status == "ok" else on_fail(unit, *payload))
                            continue
                    if worker.process.sentinel in ready or not worker.process.is_alive():
                        worker.process.join(1)
                        unit, worker.unit = worker.unit, None
                        on_fail(unit, f"the worker process running this unit died (exit code {worker.process.exitcode})",
                                None)
                        pool[index] = _Worker(context, data_path, threads, self.job)
        finally:
            for worker in pool:
                worker.stop()


def _ray_unit(settings: dict, dataset, threads: int, job: Callable):
    _set_threads(threads)
    return job(settings, dataset)


@dataclass
class RayExecutor:
    """Ray core tasks, ``threads`` CPUs each; a local Ray instance unless ``address`` is given.

    At most ``workers`` units are in flight (default: the cluster's CPUs / ``threads``).
    Results come back to the driver through Ray's object store.
    """

    workers: int | None = None
    threads: int | None = None
    address: str | None = None
    job: Callable = run_unit

    def run(self, units: list[Unit], dataset, data_path, on_start: OnStart, on_done: OnDone, on_fail: OnFail) -> None:
        if not units:
            return
        try:
            import ray
        except ImportError:
            raise StudyError("--executor ray needs Ray: pip install 'seqlens[ray]' (or pip install ray)") from None
        started = not ray.is_initialized()
        if started:
            local = self.address is None
            workers = self.workers or 1
            threads = self.threads or threads_per_worker(workers)
            ray.init(address=self.address, num_cpus=workers * threads if local else None, include_dashboard=False,
                     log_to_driver=False, configure_logging=False)
        try:
            threads = self.threads or threads_per_worker(self.workers or 1)
            in_flight_limit = self.workers or max(1, int(ray.cluster_resources().get("CPU", 1)) // threads)
            task = ray.remote(num_cpus=threads, max_retries=1)(_ray_unit)
            dataset_ref = ray.put(dataset)
            pending = deque(units)
            in_flight: dict = {}
            while pending or in_flight:
                while pending and len(in_flight) < in_flight_limit:
                    unit = pending.popleft()
                    in_flight[task.remote(unit.settings, dataset_ref, threads, self.job)] = unit
                    on_start(unit)
                ready, _ = ray.wait(list(in_flight), num_returns=1)
                for ref in ready:
                    unit = in_flight.pop(ref)
                    try:
                        output = ray.get(ref)
                    except ray.exceptions.RayTaskError as exc:  # the unit raised
                        cause = exc.cause if exc.cause is not None else exc
                        message, _ = format_exception(cause)
                        on_fail(unit, message, str(exc))
                    except ray.exceptions.RayError as exc:  # a lost worker or node
                        on_fail(unit, f"Ray could not run this unit: {type(exc).__name__}: {exc}", None)
                    else:
                        on_done(unit, output)
        finally:
            if started:
                ray.shutdown()
