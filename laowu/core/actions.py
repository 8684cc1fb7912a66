"""POST → service → message → redirect, the shape of every button that changes something.

The service is called; a refusal is flashed as an error, its success as a success, and the
answer is a redirect (a reload never posts twice). Which exceptions are refusals is the
caller's to say (a ValidationError, a state error such as the workflow's), so this module
knows no domain.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from .forms import add_service_errors, error_text

T = TypeVar("T")

# Where to go: a URL, or a URL name without arguments (as `redirect` takes them).
Target = str


def run_action(
    request: HttpRequest,
    action: Callable[[], T],
    *,
    success: str | Callable[[T], str],
    then: Target | Callable[[T], Target],
    refused: Target | None = None,
    errors: tuple[type[Exception], ...] = (ValidationError,),
    prefix: str = "",
) -> HttpResponse:
    """Run `action` (a service call). One of `errors` is flashed (after `prefix`) and answered
    by a redirect to `refused`, by default to `then`; otherwise `success` is flashed and the
    answer is a redirect to `then`. `success` and `then` may be computed from the result."""
    # Without a form every outcome is a redirect.
    return cast(
        HttpResponse,
        _run(request, action, None, success=success, then=then, refused=refused, errors=errors, prefix=prefix),
    )


def run_form_action(
    request: HttpRequest,
    form: forms.BaseForm,
    action: Callable[[], T],
    *,
    success: str | Callable[[T], str],
    then: Target | Callable[[T], Target],
    refused: Target | None = None,
    errors: tuple[type[Exception], ...] = (),
    prefix: str = "",
) -> HttpResponse | None:
    """As `run_action`, for a service given a form's data: a ValidationError naming fields
    goes beside them, and one of no field that `errors` does not claim goes above the form.
    None then: the caller shows the form again."""
    return _run(request, action, form, success=success, then=then, refused=refused, errors=errors, prefix=prefix)


def _run(
    request: HttpRequest,
    action: Callable[[], T],
    form: forms.BaseForm | None,
    *,
    success: str | Callable[[T], str],
    then: Target | Callable[[T], Target],
    refused: Target | None,
    errors: tuple[type[Exception], ...],
    prefix: str,
) -> HttpResponse | None:
    if refused is None and callable(then):
        raise TypeError("a `then` computed from the result needs `refused`")
    try:
        result = action()
    except Exception as exc:
        is_validation = isinstance(exc, ValidationError)
        if form is not None and is_validation and (hasattr(exc, "error_dict") or not isinstance(exc, errors)):
            add_service_errors(form, exc)  # type: ignore[arg-type]
            return None
        if not isinstance(exc, errors):
            raise
        messages.error(request, prefix + error_text(exc))
        return redirect(refused if refused is not None else then)
    messages.success(request, success(result) if callable(success) else success)
    return redirect(then(result) if callable(then) else then)
