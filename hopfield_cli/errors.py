"""Exceptions raised by the hopfield_cli library.

Every error a user can cause derives from :class:`HopfieldError`, so a caller
(the command line, or a script) can catch one class and show its message.
Messages name the file or parameter and the offending value.
"""

from __future__ import annotations


class HopfieldError(Exception):
    """Base class for every error caused by bad input or bad data."""


class InvalidParameterError(HopfieldError, ValueError):
    """A parameter has a value outside its documented domain."""


class ImageReadError(HopfieldError):
    """An input file could not be read as an image or pattern stack."""


class PixelLimitError(ImageReadError):
    """An image, or a stack of images, has more pixels than ``max_pixels`` allows.

    Attributes
    ----------
    limit : int
        The ``max_pixels`` limit that was exceeded.
    stack : bool
        True when a stack of several images exceeds it in all (reading fewer
        of them would help).
    """

    def __init__(self, message: str, *, limit: int, stack: bool = False) -> None:
        super().__init__(message)
        self.limit = limit
        self.stack = stack


class ModelFileError(HopfieldError):
    """A model file is missing, malformed or from an unsupported version."""


class NoInputError(HopfieldError):
    """The inputs named by the user contain nothing usable."""


class LearningError(HopfieldError):
    """A learning rule cannot store the given patterns."""


class IrrelevantParameterError(InvalidParameterError):
    """A parameter was given to a rule that does not take it.

    Attributes
    ----------
    parameter : str
        The parameter's name (``beta``, ``degree``, ...).
    rule : str
        The rule that does not take it.
    """

    def __init__(self, parameter: str, rule: str) -> None:
        super().__init__(f"the {rule} rule takes no {parameter} parameter")
        self.parameter = parameter
        self.rule = rule


class HopfieldWarning(UserWarning):
    """Base class of the library's warnings: the data was used, but not as a reader may assume.

    The library never prints; it issues these through :mod:`warnings`, and the
    command line shows each as one ``Warning:`` line on stderr.
    """


class ImageWarning(HopfieldWarning):
    """An image was read in a way worth knowing (stretched to another aspect ratio, blank)."""
