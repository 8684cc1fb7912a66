from __future__ import annotations

from typing import Any

from django import forms

from laowu.accounts.models import District
from laowu.core.forms import ChineseFormMixin
from laowu.supervision.models import Notice
from laowu.supervision.permissions import notice_districts


class NoticeForm(ChineseFormMixin, forms.ModelForm):
    class Meta:
        model = Notice
        fields = ["title", "district", "body", "pinned"]
        widgets = {"body": forms.Textarea(attrs={"rows": 10})}
        help_texts = {
            "body": "纯文本，换行会原样显示；不支持网页格式。",
            "pinned": "置顶的通知在登录页和列表中排在最前。",
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        districts, every = notice_districts(user)
        field = self.fields["district"]
        field.queryset = District.objects.filter(pk__in=[d.pk for d in districts])
        field.widget.attrs["class"] = "input"
        # Empty is "every district": offered only to an account over every district.
        field.required = not every
        field.empty_label = "全部区划" if every else None
        field.help_text = (
            "通知发布后在登录页和通知公告中公开；企业首页只显示所选区划（选“全部区划”则各区划）的通知。"
            if every
            else "通知发布后在登录页和通知公告中公开；企业首页只向所选区划的企业显示。"
        )
        if not self.instance.pk and len(districts) == 1:
            field.initial = districts[0].pk
        for name in ("title", "body"):
            self.fields[name].widget.attrs["class"] = "input"
        self.fields["title"].widget.attrs["maxlength"] = "100"

    def _post_clean(self) -> None:
        # The service writes the notice under its row lock, not construct_instance.
        pass
