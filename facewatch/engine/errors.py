"""Errors of the local face engine, named like Amazon Rekognition's.

Each error carries ``code`` (the Rekognition error name, e.g. ``ResourceNotFoundException``)
and ``message``, so adapters can answer with the same error shape the AWS API uses
(``{"__type": code, "Message": message}``) and callers can handle both backends alike.
"""

from __future__ import annotations


class RekognitionError(Exception):
    """Base class: a Rekognition API error raised by the local face engine."""

    code = "RekognitionException"

    def __init__(self, code_or_message: str = "", message: str | None = None) -> None:
        # Two call styles are accepted: ``RekognitionError(code, message)`` (the agreed
        # interface for the generic error) and ``SubClass(message)`` (the code comes
        # from the subclass).
        if message is None:
            message = code_or_message
        else:
            self.code = code_or_message
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class ResourceNotFoundException(RekognitionError):
    """The collection (or face) does not exist."""

    code = "ResourceNotFoundException"


class ResourceAlreadyExistsException(RekognitionError):
    """A collection with this id already exists."""

    code = "ResourceAlreadyExistsException"


class InvalidParameterException(RekognitionError):
    """A parameter is invalid, or the image holds no face to search with."""

    code = "InvalidParameterException"


class InvalidImageFormatException(RekognitionError):
    """The image bytes are not a JPEG or PNG image."""

    code = "InvalidImageFormatException"


class ImageTooLargeException(RekognitionError):
    """The image is larger than Rekognition accepts (5 MB as bytes, 15 MB from S3)."""

    code = "ImageTooLargeException"


class InvalidS3ObjectException(RekognitionError):
    """The S3 object cannot be read."""

    code = "InvalidS3ObjectException"


class InvalidPaginationTokenException(RekognitionError):
    """The NextToken does not belong to this listing."""

    code = "InvalidPaginationTokenException"
