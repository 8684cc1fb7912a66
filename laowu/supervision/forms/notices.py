from __future__ import annotations

from typing import Any

from django import forms

from laowu.core.forms import ChineseFormMixin
from laowu.supervision.models import Notice


class NoticeForm(ChineseFormMixin, forms.ModelForm):
    class Meta:
        model = Notice
        fields = ["title", "body", "pinned"]
        widgets = {"body": forms.Textarea(attrs={"rows": 10})}
        help_texts = {
            "body": "纯文本，换行会原样显示；不支持网页格式。",
            "pinned": "置顶的通知在登录页和列表中排在最前。",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("title", "body"):
            self.fields[name].widget.attrs["class"] = "input"
        self.fields["title"].widget.attrs["maxlength"] = "100"

    def _post_clean(self) -> None:
        # The service writes the notice under its row lock, not construct_instance.
        pass
