"""Log lines an operator can follow: JSON, one per record, each carrying the id of the request it
belongs to (set by laowu.core.middleware.RequestLogMiddleware, format in docs/deploy.md)."""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import uuid

# The id of the request being served in this thread (or task); "-" outside a request
# (management commands, the worker, start-up).
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("laowu_request_id", default="-")

# What an incoming X-Request-ID may be (nginx's $request_id is 32 hex digits): anything else
# is replaced, so a client cannot write quotes, newlines or megabytes into the logs.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")

# The attributes every LogRecord has; anything else on a record came from `extra=` and is
# written as a field of its own.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def request_id_from(header: str | None) -> str:
    """The client's (or proxy's) id when well-formed, else a new one."""
    if header and REQUEST_ID_PATTERN.fullmatch(header):
        return header
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record, whichever logger wrote it (Django's
    tracebacks of a 500 included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601 with milliseconds), level, logger,
    request_id, message, any `extra=` fields, and the traceback as `exc`."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRS and key not in line:
                line[key] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)
