from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class AttachmentKind:
    code: str
    label: str
    required: bool = False
    # Photos (JPEG/PNG, judged by content) are accepted besides PDF.
    images: bool = False
    # Holds personal data (an ID card scan): opened only by those who see personal data in full
    # (laowu/accounts/scope.py sees_personal_data_of), and each such opening is audited.
    personal: bool = False
