"""Run a study into an output folder, resumably, on this machine or a Ray cluster.

:func:`run_study` is what ``seqlens run`` calls: it prepares the data once (simulated into
``DIR/data.h5`` or read from the study's path), checks the folder holds no other study,
enumerates the grid (:func:`seqlens.experiments.units.expand_units`), skips finished units,
runs the rest on an executor (:mod:`seqlens.experiments.executors`) and writes each unit as
it finishes (:class:`seqlens.experiments.store.StudyStore`), then the study's tables
(:mod:`seqlens.experiments.results`). Interrupted (Ctrl-C, SIGKILL, a lost worker), a rerun
continues with the units that are not done.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import __version__
from ..errors import ModelError, StudyError
from ..io_utils import check_output_dir
from ..progress import console, progress_bar
from .executors import InlineExecutor, LocalExecutor, RayExecutor, available_cores, threads_per_worker
from .ensembles import ensemble_distances
from .results import sequence_scores, study_tables, write_tables
from .store import STATUSES, StudyStore
from .study import Study
from .units import Unit, expand_units, settings_key, shard

EXECUTORS = ("local", "ray")


@dataclass
class PlannedUnit:
    """A unit with what a run does with it: ``run`` or ``skip``, and why (its status)."""

    unit: Unit
    status: str
    action: str

    @property
    def reason(self) -> str:
        return {"done": "finished with these settings", "failed": "failed before; retried",
                "stale": "finished with other settings; recomputed", "new": "not computed yet"}[self.status]


@dataclass
class RunReport:
    """What :func:`run_study` did (``dry_run``: would do)."""

    out: Path
    study: str
    scale: str | None
    plan: list[PlannedUnit]
    done: list[str] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    dry_run: bool = False
    tables: dict[str, Path] = field(default_factory=dict)
    interrupted: bool = False

    def as_dict(self) -> dict:
        return {
            "out": str(self.out), "study": self.study, "scale": self.scale, "dry_run": self.dry_run,
            "interrupted": self.interrupted, "seconds": round(self.seconds, 1),
            "units": [{"name": p.unit.name, "key": p.unit.key, "status": p.status, "action": p.action,
                       "reason": p.reason, **p.unit.coordinates} for p in self.plan],
            "counts": {**{s: sum(p.status == s for p in self.plan) for s in STATUSES},
                       "run": sum(p.action == "run" for p in self.plan),
                       "finished_now": len(self.done), "failed_now": len(self.failed)},
            "failed": self.failed,
            "tables": {k: str(v) for k, v in self.tables.items()},
        }


def prepare_data(study: Study, store: StudyStore, regenerate: bool):
    """The study's dataset and the path workers read it from (simulated and named data are written once)."""
    from ..data import load_h5, save_h5

    if study.data.path is not None:
        path = Path(study.data.path)
        if not path.is_file():
            raise FileNotFoundError(f"study data file not found: {path}")
        return load_h5(path), path
    path = store.root / "data.h5"
    if study.data.dataset is not None:  # checked against its checksum on every run, written once for the workers
        from ..data import load

        dataset = load(study.data.dataset)
        if regenerate or not path.exists():
            save_h5(dataset, path)
        return load_h5(path), path
    if regenerate or not path.exists():
        dataset = study.data.generator()(**study.data.options, seed=study.data.seed)
        save_h5(dataset, path)
    return load_h5(path), path


def check_models(study: Study, units: list[Unit], dataset) -> None:
    """Build each distinct model of ``units`` for ``dataset``'s length and outputs once, before any unit runs.

    A model that cannot take the data (e.g. too many pooling layers for its length) would
    otherwise fail every unit of its kind after the data were prepared and the workers
    started; this says so in one line naming the study, the model and the data.
    Raises :class:`StudyError`.
    """
    from ..models import build

    seen = set()
    for unit in units:
        spec = unit.settings.get("model")
        if spec is None or settings_key(spec) in seen:  # foreign models are loaded, not built
            continue
        seen.add(settings_key(spec))
        try:
            build(**spec, input_length=dataset.input_length, n_outputs=dataset.n_tasks, seed=0)
        except ModelError as exc:
            raise StudyError(f"study {study.name}: model {spec['name']} ({spec['activation']}) cannot take its data "
                             f"({dataset.input_length} nt, {dataset.n_tasks} output(s)): {exc}") from None


def make_executor(executor: str, workers: int | None, address: str | None, threads: int | None = None):
    """The executor ``--executor``/``--workers``/``--address`` ask for (``workers=0``: in this process)."""
    if executor not in EXECUTORS:
        raise StudyError(f"--executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    if address is not None and executor != "ray":
        raise StudyError("--address needs --executor ray")
    if workers is not None and workers < 0:
        raise StudyError(f"--workers must be >= 0, got {workers}")
    if executor == "ray":
        return RayExecutor(workers=workers or None, threads=threads, address=address)
    if workers == 0:
        return InlineExecutor(threads=threads)
    workers = workers or available_cores()  # small models: one thread each beats sharing threads
    return LocalExecutor(workers=workers, threads=threads or threads_per_worker(workers))


def _study_record(study: Study, checksum: str) -> dict:
    return {"study": study.resolved(), "data_checksum": checksum}


class _Progress:
    """Units done / running / failed on stderr, with the time remaining."""

    def __init__(self, bar, total: int, verbose: bool):
        self.bar, self.verbose = bar, verbose
        self.task = bar.add_task("units", total=total)
        self.running = self.done = self.failed = 0
        self._update()

    def _update(self):
        self.bar.update(self.task, description=f"units: {self.done} done, {self.running} running, {self.failed} failed")

    def start(self, unit: Unit):
        self.running += 1
        self._update()

    def finish(self, unit: Unit, ok: bool, message: str = ""):
        self.running -= 1
        self.done += ok
        self.failed += not ok
        self.bar.advance(self.task)
        self._update()
        if self.verbose:
            line = f"[green]done[/green] {unit.name}" if ok else f"[red]failed[/red] {unit.name}: {message}"
            console.print(line, highlight=False, soft_wrap=True)


def run_study(
    study: Study,
    out_dir: str | Path,
    executor="local",
    workers: int | None = None,
    address: str | None = None,
    shard_spec: tuple[int, int] | None = None,
    dry_run: bool = False,
    force: bool = False,
    verbose: bool = True,
    report: bool = True,
) -> RunReport:
    """Run (or with ``dry_run`` plan) ``study`` into ``out_dir``; see the module docstring.

    ``executor``: ``"local"`` or ``"ray"`` (with ``workers``, ``address``; see
    :func:`make_executor`) or an executor object. ``shard_spec=(K, N)`` runs every N-th unit starting at the K-th (job arrays); ``force``
    accepts a folder whose recorded study differs (changed units are recomputed, their
    keys having changed). Returns a :class:`RunReport`; failed units are in ``failed`` (the
    run itself succeeds), an interrupt sets ``interrupted`` after the tables are written.
    With ``report`` the HTML report is (re)built at the end (``tables["report"]``;
    :func:`seqlens.experiments.report.build_report`), also after an interrupt.
    """
    start = time.perf_counter()
    store = StudyStore(check_output_dir(out_dir, "study output folder"))
    previous = store.previous_record()
    data_changed = previous is not None and previous.get("study", {}).get("data") != study.resolved()["data"]
    if previous is not None and not force:
        store.check_changes(previous, {"study": study.resolved(), "data_checksum": previous.get("data_checksum")})
    if dry_run and study.data.path is None and (data_changed or not (store.root / "data.h5").exists()):
        units = expand_units(study, "(not generated yet)")
        selected = shard(units, *shard_spec) if shard_spec else units
        plan = [PlannedUnit(u, "new", "run") for u in selected]
        return RunReport(store.root, study.name, study.scale, plan, dry_run=True, seconds=time.perf_counter() - start)
    if not dry_run:
        store.root.mkdir(parents=True, exist_ok=True)
    dataset, data_path = prepare_data(study, store, regenerate=data_changed and force and not dry_run)
    from .work import data_checksum

    checksum = data_checksum(dataset)
    record = _study_record(study, checksum)
    if previous is not None and not force:
        store.check_changes(previous, record)
    units = expand_units(study, checksum)
    check_models(study, units, dataset)
    selected = shard(units, *shard_spec) if shard_spec else units
    plan = [PlannedUnit(u, status := store.status(u), "skip" if status == "done" else "run") for u in selected]
    outcome = RunReport(store.root, study.name, study.scale, plan, dry_run=dry_run)
    if dry_run:
        outcome.seconds = time.perf_counter() - start
        return outcome
    store.write_record(record, {"seqlens_version": __version__, "scale": study.scale})
    store.clean_temporary()
    todo = [p.unit for p in plan if p.action == "run"]
    runner = make_executor(executor, workers, address) if isinstance(executor, str) else executor
    try:
        with progress_bar(enabled=verbose and bool(todo)) as bar:
            progress = _Progress(bar, len(todo), verbose)

            def on_done(unit, output):
                store.write_unit(unit, output)
                outcome.done.append(unit.name)
                progress.finish(unit, True)

            def on_fail(unit, message, trace):
                store.write_failure(unit, message, trace)
                outcome.failed.append({"name": unit.name, "error": message})
                progress.finish(unit, False, message)

            runner.run(todo, dataset, data_path, progress.start, on_done, on_fail)
    except KeyboardInterrupt:
        outcome.interrupted = True
    finally:
        outcome.tables = write_study_tables(store, units, study.claims)
        if report:
            from .report import build_report

            if verbose:
                console.print("building the report", highlight=False)
            outcome.tables["report"] = build_report(store.root)
        outcome.seconds = time.perf_counter() - start
    return outcome


def write_study_tables(store: StudyStore, units: list[Unit], claims=()) -> dict:
    """(Re)write ``results.csv``, ``summary.csv``, ``comparisons.csv`` and ``claims.csv`` from the finished units."""
    results = store.records(units)
    finished = {u.name: (u.coordinates, store.unit_dir(u)) for u in units if store.status(u) == "done"}
    ensemble = ensemble_distances(finished)
    if len(ensemble):
        results = pd.concat([results, ensemble[results.columns]], ignore_index=True)
    return write_tables(study_tables(results, sequence_scores(finished), claims), store.root)

