from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class AttachmentKind:
    code: str
    label: str
    required: bool = False
    # Photos (JPEG/PNG, judged by content) are accepted besides PDF.
    images: bool = False
