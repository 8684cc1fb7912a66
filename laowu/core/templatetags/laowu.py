from __future__ import annotations

from django import template

from laowu.core.numbers import format_amount
from laowu.core.placed_messages import messages_beside, page_messages
from laowu.core.validators import mask_id_number, mask_mobile, mask_name

register = template.Library()

register.filter("mask_id", mask_id_number)
register.filter("mask_mobile", mask_mobile)
register.filter("mask_name", mask_name)
# {% for m in messages|page_messages %} at the top of a page; {% for m in messages|messages_beside:id %} beside a part.
register.filter("page_messages", page_messages)
register.filter("messages_beside", messages_beside)
register.filter("amount", format_amount)
