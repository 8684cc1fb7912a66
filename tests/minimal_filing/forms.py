from __future__ import annotations

from typing import Any

from django import forms

from laowu.core.forms import ChineseFormMixin

from .models import Permit


class PermitForm(ChineseFormMixin, forms.ModelForm):
    class Meta:
        model = Permit
        fields = list(Permit.SNAPSHOT_FIELDS)

    def __init__(self, *args: Any, editable: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "input"
            field.disabled = not editable

    def _post_clean(self) -> None:
        # Written by the workflow service under its row lock, not by construct_instance.
        pass
