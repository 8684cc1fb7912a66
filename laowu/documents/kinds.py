from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class AttachmentKind:
    code: str
    label: str
    required: bool = False
