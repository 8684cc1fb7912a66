from __future__ import annotations

from django import template

from laowu.core.validators import mask_id_number, mask_mobile, mask_name

register = template.Library()

register.filter("mask_id", mask_id_number)
register.filter("mask_mobile", mask_mobile)
register.filter("mask_name", mask_name)
