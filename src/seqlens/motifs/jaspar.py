"""JASPAR motifs through ``pyjaspar``.

JASPAR comes from the ``pyjaspar`` package, which bundles every release from 2014 to 2026
as SQLite and works offline. The papers used JASPAR 2016 CORE vertebrates non-redundant
(519 motifs), which is the default everywhere here::

    sp1 = get_motif("SP1")                     # by name, case-insensitive
    gabpa = get_motif("MA0062")                # by matrix ID, latest version in the release
    pool = resolve_motifs(["SP1", "MA0062.2", my_motif])
    write_meme(pool, "pool.meme")
"""

from __future__ import annotations

import difflib
import functools
import re
import warnings
from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

from ..alphabet import DNA
from ..errors import MotifError
from .motif import Motif

_JASPAR_ID = re.compile(r"^([A-Z]{2}\d{4})(?:\.(\d+))?$", re.IGNORECASE)


def _release_name(release: int | str) -> str:
    """``2016``, ``"2016"`` or ``"JASPAR2016"`` -> ``"JASPAR2016"``, checked against pyjaspar."""
    from pyjaspar import jaspar_releases

    text = str(release).strip().upper()
    name = text if text.startswith("JASPAR") else f"JASPAR{text}"
    if name not in jaspar_releases:
        valid = ", ".join(sorted(r.removeprefix("JASPAR") for r in jaspar_releases))
        raise MotifError(f"unknown JASPAR release {release!r}; available releases: {valid}")
    return name


@functools.lru_cache(maxsize=None)
def _fetch_jaspar(
    release_name: str, collection: str | None, tax_group: str | None, all_versions: bool
) -> tuple[Motif, ...]:
    """Query pyjaspar's SQLite once per argument set (the query takes up to ~1 s)."""
    from pyjaspar import jaspardb

    db = jaspardb(release=release_name)
    try:
        with warnings.catch_warnings():
            # pyjaspar warns when nothing matches; the MotifError below says so on one line.
            warnings.filterwarnings("ignore", message="Zero motifs returned")
            records = db.fetch_motifs(
                collection=collection,
                tax_group=None if tax_group is None else [tax_group],
                all_versions=all_versions,
            )
    finally:
        db.conn.close()
    motifs = tuple(
        Motif.from_counts(np.array([rec.counts[b] for b in DNA], dtype=np.float64), name=rec.name, id=rec.matrix_id)
        for rec in records
    )
    if not motifs:
        where = _describe(release_name, collection, tax_group)
        raise MotifError(f"no motifs in {where}; check collection and tax_group")
    return motifs


def _describe(release_name: str, collection: str | None, tax_group: str | None) -> str:
    return " ".join([release_name, collection or "all collections", tax_group or "all taxa"])


def load_jaspar(
    release: int | str = 2016,
    collection: str | None = "CORE",
    tax_group: str | None = "vertebrates",
    all_versions: bool = False,
) -> list[Motif]:
    """Load JASPAR motifs (with counts) from the release bundled in ``pyjaspar``.

    Parameters
    ----------
    release : ``2016``, ``"2016"`` or ``"JASPAR2016"``; pyjaspar ships 2014 to 2026.
    collection : JASPAR collection (``"CORE"``, ``"UNVALIDATED"``, ...), None for all.
    tax_group : taxonomic group (``"vertebrates"``, ``"insects"``, ...), None for all.
    all_versions : False keeps the latest version of every matrix ID, which is JASPAR's
        non-redundant set (CORE vertebrates: 519 motifs in 2016, 879 in 2024); True
        returns every version.

    Results are cached in-process; the returned list is a fresh copy each call.
    """
    return list(_fetch_jaspar(_release_name(release), collection, tax_group, bool(all_versions)))


class _JasparIndex(NamedTuple):
    where: str  # e.g. "JASPAR2016 CORE vertebrates", for messages
    by_id: dict[str, Motif]  # every version, "MA0079.3" -> motif
    latest_by_base: dict[str, Motif]  # "MA0079" -> its highest version
    by_name: dict[str, list[Motif]]  # exact name -> latest-version motifs with that name
    by_lower_name: dict[str, list[Motif]]


@functools.lru_cache(maxsize=None)
def _jaspar_index(release_name: str, collection: str | None, tax_group: str | None) -> _JasparIndex:
    by_id = {m.id.upper(): m for m in _fetch_jaspar(release_name, collection, tax_group, True)}
    latest_by_base: dict[str, Motif] = {}
    for full_id, motif in by_id.items():
        base, version = full_id.split(".")
        best = latest_by_base.get(base)
        if best is None or int(version) > int(best.id.split(".")[1]):
            latest_by_base[base] = motif
    by_name: dict[str, list[Motif]] = {}
    by_lower_name: dict[str, list[Motif]] = {}
    for motif in _fetch_jaspar(release_name, collection, tax_group, False):
        by_name.setdefault(motif.name, []).append(motif)
        by_lower_name.setdefault(motif.name.lower(), []).append(motif)
    return _JasparIndex(_describe(release_name, collection, tax_group), by_id, latest_by_base, by_name, by_lower_name)


def get_motif(
    name_or_id: str,
    release: int | str = 2016,
    collection: str | None = "CORE",
    tax_group: str | None = "vertebrates",
) -> Motif:
    """Look up one JASPAR motif by matrix ID or by name.

    - A matrix ID with version (``"MA0079.3"``) returns that version (any version in the
      release, not only the latest); without version (``"MA0079"``) the latest version.
    - A name is matched against the latest-version (non-redundant) motifs: an exact match
      first, then case-insensitively (``"gabpa"`` -> ``Gabpa``). A name shared by several
      motifs (JASPAR 2022+ has e.g. ``RORA`` twice) raises MotifError listing their IDs:
      pass the ID you mean.

    Unknown names raise MotifError suggesting close matches.
    """
    if not isinstance(name_or_id, str) or not name_or_id.strip():
        raise MotifError(f"motif name or ID must be a non-empty string, got {name_or_id!r}")
    key = name_or_id.strip()
    index = _jaspar_index(_release_name(release), collection, tax_group)
    id_match = _JASPAR_ID.match(key)
    if id_match:
        base, version = id_match.group(1).upper(), id_match.group(2)
        motif = index.by_id.get(f"{base}.{version}") if version else index.latest_by_base.get(base)
        if motif is not None:
            return motif
        versions = sorted(i for i in index.by_id if i.startswith(base + "."))
        hint = f"; available versions: {', '.join(versions)}" if versions else ""
        raise MotifError(f"no motif with ID {key!r} in {index.where}{hint}")
    matches = index.by_name.get(key) or index.by_lower_name.get(key.lower(), [])
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        listed = ", ".join(f"{m.id} ({m.name})" for m in matches)
        raise MotifError(f"motif name {key!r} is ambiguous in {index.where}: {listed}; use a matrix ID")
    close = difflib.get_close_matches(key.lower(), list(index.by_lower_name), n=3, cutoff=0.6)
    suggestion = ", ".join(index.by_lower_name[c][0].name for c in close)
    hint = f"; did you mean {suggestion}?" if close else "; no similar names"
    raise MotifError(f"unknown motif name {key!r} in {index.where}{hint}")


def resolve_motifs(
    spec: str | Motif | Iterable[str | Motif],
    release: int | str = 2016,
    collection: str | None = "CORE",
    tax_group: str | None = "vertebrates",
) -> list[Motif]:
    """Turn a list mixing JASPAR names, matrix IDs and ``Motif`` objects into motifs.

    Strings are looked up with ``get_motif``; ``Motif`` objects pass through unchanged.
    A single string or Motif is treated as a one-element list.
    """
    if isinstance(spec, (str, Motif)):
        spec = [spec]
    motifs = []
    for item in spec:
        if isinstance(item, Motif):
            motifs.append(item)
        elif isinstance(item, str):
            motifs.append(get_motif(item, release, collection, tax_group))
        else:
            raise MotifError(f"expected a motif name, ID or Motif, got {type(item).__name__} {item!r}")
    return motifs
