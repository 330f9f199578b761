"""Receipt handles and sequence numbers: what a receive hands out and a delete or a
visibility change brings back.

A receipt handle names its queue, its message and the receive it came from (a token
of that receive), base64url-encoded, so a handle of an earlier receive is told from the
latest one's without a lookup table.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from altus.queues.errors import MissingParameter, ReceiptHandleIsInvalid

_PREFIX = "aq1"


def sequence_number(seq: int) -> str:
    """A FIFO message's ``SequenceNumber``: its send order, zero-padded to 20 digits."""
    return f"{seq:020d}"


def make_handle(queue: str, message_id: str, token: str) -> str:
    raw = f"{_PREFIX}/{queue}/{message_id}/{token}".encode()
    return base64.urlsafe_b64encode(raw).decode()


def parse_handle(handle: Any) -> tuple[str, str, str]:
    """(queue, message id, receive token) of a receipt handle this service issued.
    Raises MissingParameter for none, ReceiptHandleIsInvalid for anything else."""
    if handle is None or handle == "":
        raise MissingParameter("The request must contain the parameter ReceiptHandle.")
    try:
        if not isinstance(handle, str):
            raise ValueError
        prefix, queue, message_id, token = (
            base64.urlsafe_b64decode(handle.encode("ascii")).decode().split("/")
        )
        if prefix != _PREFIX or not token:
            raise ValueError
    except (ValueError, binascii.Error, UnicodeError):
        raise ReceiptHandleIsInvalid(
            f'The input receipt handle "{handle}" is not a valid receipt handle.'
        ) from None
    return queue, message_id, token
