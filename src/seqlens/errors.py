"""Exception types raised on bad input.

Every error seqlens raises for a user's mistake derives from :class:`SeqlensError`, so the
CLI can print its message as a single line and exit non-zero without a traceback.
"""


class SeqlensError(ValueError):
    """A problem with the user's input, data or configuration (message is one line)."""


class SequenceError(SeqlensError):
    """Bad DNA: unknown characters, wrong shape, not one-hot."""


class MotifError(SeqlensError):
    """Unknown motif names, malformed motif files, motifs that cannot be placed."""


class DataFormatError(SeqlensError):
    """A data file is missing keys or holds arrays of the wrong shape or content."""


class ModelError(SeqlensError):
    """Bad model name, configuration, saved-model directory or model input."""


class OutputError(SeqlensError):
    """An output location that cannot be written: a directory where a file is expected, no permission."""


class StudyError(SeqlensError):
    """A bad study file, or an output folder that holds a different study."""


class UnreliableMapsWarning(RuntimeWarning):
    """A method's maps failed a check that makes them unusable (e.g. DeepSHAP's summation to delta).

    ``check`` names the check and ``details`` (JSON-able) says by how much, so callers record
    the failure as data (:attr:`seqlens.attribution.MethodMaps.failed_checks`) instead of
    parsing the message.
    """

    def __init__(self, message: str, check: str, details: dict):
        super().__init__(message)
        self.check = check
        self.details = details

    def record(self) -> dict:
        """``{"check": ..., **details, "message": ...}``, as stored with the maps."""
        return {"check": self.check, **self.details, "message": str(self)}
