"""A study's output folder: the one source of truth about what is done.

Layout of ``DIR``::

    study.json            the resolved study, its scale, the data checksum, the seqlens version
    data.h5               the simulated dataset (studies with ``data: {simulate: ...}``)
    units/NAME/           one finished unit: its files, records.csv, and done.json (written last)
    failed/NAME.json      a unit that raised: its error and traceback (removed once it succeeds)

A unit is finished when ``units/NAME/done.json`` exists and holds the unit's current key.
Its folder is assembled in a temporary sibling (``units/.tmp-NAME-*``) and renamed into
place, so a run killed at any moment leaves either the old state or the new one; temporary
folders left by a killed run are removed by the next.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import traceback
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from ..errors import StudyError
from ..io_utils import write_csv, write_json
from .results import read_study_table
from .units import FACTORS, Unit
from .work import RECORD_COLUMNS, UnitOutput

#: What a unit's status can be before a run: finished, failed earlier, computed with other
#: settings (stale), or never started.
STATUSES = ("done", "failed", "stale", "new")

#: The study settings that change what is computed; a rerun with others is refused without --force.
COMPUTED_KEYS = ("data", "models", "attribution", "evaluation", "scoring", "filters")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _changed_keys(old, new, prefix: str = "") -> list[str]:
    """Dotted paths where two JSON-like documents differ."""
    if isinstance(old, dict) and isinstance(new, dict):
        changed = []
        for key in sorted(set(old) | set(new), key=str):
            path = f"{prefix}.{key}" if prefix else str(key)
            if key not in old or key not in new:
                changed.append(path)
            else:
                changed += _changed_keys(old[key], new[key], path)
        return changed
    return [] if old == new else [prefix or "(whole study)"]


@dataclass
class StudyStore:
    """The output folder ``root`` of one study."""

    root: Path

    def __post_init__(self):
        self.root = Path(self.root)

    @property
    def record_path(self) -> Path:
        return self.root / "study.json"

    def unit_dir(self, unit: Unit) -> Path:
        return self.root / "units" / unit.name

    def failure_path(self, unit: Unit) -> Path:
        return self.root / "failed" / f"{unit.name}.json"

    # -- the study record ---------------------------------------------------------------
    def previous_record(self) -> dict | None:
        """The study record a previous run left (``study.json``), or None in a new folder."""
        if not self.record_path.exists():
            return None
        try:
            return json.loads(self.record_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StudyError(f"{self.record_path} is unreadable ({exc}); remove it or choose another -o") from None

    def check_changes(self, previous: dict, record: dict) -> None:
        """Refuse (one-line :class:`StudyError` naming the changed keys) a record that differs from ``previous``."""
        def computed(rec: dict) -> dict:  # descriptive keys (title, question, claims) may change freely
            study = rec.get("study") or {}
            return {"study": {k: study.get(k) for k in COMPUTED_KEYS}, "data_checksum": rec.get("data_checksum")}

        changed = _changed_keys(computed(previous), computed(record))
        changed = [key.removeprefix("study.") for key in changed]
        if changed:
            shown = ", ".join(changed[:6]) + (f" and {len(changed) - 6} more" if len(changed) > 6 else "")
            raise StudyError(f"{self.root} holds a run of this study with other settings (changed: {shown}); "
                             "rerun with --force to recompute what changed, or choose another -o")

    def write_record(self, record: dict, provenance: dict) -> Path:
        """Write ``study.json``: the compared ``record`` plus ``provenance`` (version, scale)."""
        return write_json({**record, **provenance}, self.record_path, "study record")

    # -- units --------------------------------------------------------------------------
    def status(self, unit: Unit) -> str:
        """``done``, ``failed``, ``stale`` (finished with other settings) or ``new``."""
        done = self.unit_dir(unit) / "done.json"
        if done.exists():
            try:
                key = json.loads(done.read_text(encoding="utf-8")).get("key")
            except (OSError, ValueError):
                key = None
            return "done" if key == unit.key else "stale"
        return "failed" if self.failure_path(unit).exists() else "new"

    def clean_temporary(self) -> int:
        """Remove the temporary unit folders a killed run left behind; return how many."""
        units = self.root / "units"
        removed = 0
        for path in units.glob(".tmp-*") if units.is_dir() else ():
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
        return removed

    def write_unit(self, unit: Unit, output: UnitOutput) -> Path:
        """Put a finished unit in place: files, ``records.csv``, ``unit.json``, then ``done.json``, then one rename."""
        final = self.unit_dir(unit)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{unit.name}-", dir=final.parent))
        try:
            for name, data in output.files.items():
                path = tmp / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            write_csv(records_table(output.records), tmp / "records.csv")
            write_json({"name": unit.name, "key": unit.key, "coordinates": unit.coordinates,
                        "settings": unit.settings}, tmp / "unit.json", "unit record")
            write_json({"name": unit.name, "key": unit.key, "seconds": round(output.seconds, 3),
                        "phases": output.phases,
                        "finished": _now(), "warnings": output.warnings}, tmp / "done.json", "unit record")
            os.chmod(tmp, 0o777 & ~_umask())
            if final.exists():
                stale = Path(tempfile.mkdtemp(prefix=f".tmp-{unit.name}-old-", dir=final.parent))
                os.replace(final, stale / "unit")
                os.replace(tmp, final)
                shutil.rmtree(stale, ignore_errors=True)
            else:
                os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self.failure_path(unit).unlink(missing_ok=True)
        return final

    def write_failure(self, unit: Unit, error: str, trace: str | None = None) -> Path:
        """Record that ``unit`` failed (its error and traceback); the other units go on."""
        return write_json({"name": unit.name, "key": unit.key, "coordinates": unit.coordinates, "error": error,
                           "traceback": trace, "failed": _now()}, self.failure_path(unit), "failure record")

    def failures(self, units: list[Unit]) -> list[dict]:
        """The failure records of ``units`` that failed and are not done since."""
        found = []
        for unit in units:
            path = self.failure_path(unit)
            if path.exists() and self.status(unit) == "failed":
                found.append(json.loads(path.read_text(encoding="utf-8")))
        return found

    def records(self, units: list[Unit]) -> pd.DataFrame:
        """The result rows of every finished unit among ``units`` (grid coordinates + record columns)."""
        tables = []
        for unit in units:
            if self.status(unit) == "done":
                table = read_study_table(self.unit_dir(unit) / "records.csv")
                tables.append(table.assign(unit=unit.name))
        if not tables:
            return pd.DataFrame(columns=["unit", *FACTORS, *RECORD_COLUMNS])
        table = pd.concat(tables, ignore_index=True)
        return table[["unit", *FACTORS, *RECORD_COLUMNS]]


def records_table(records: list[dict]) -> pd.DataFrame:
    """Result rows as a table with the columns in their fixed order."""
    return pd.DataFrame.from_records(records, columns=[*FACTORS, *RECORD_COLUMNS])


def format_exception(exc: BaseException) -> tuple[str, str]:
    """``(one-line message, traceback)`` of an exception, for a failure record."""
    message = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
    return message, "".join(traceback.format_exception(exc))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
