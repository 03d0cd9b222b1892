"""Reference data every installation needs: the seven standard stages."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import STANDARD_STAGES, Stage


def ensure_standard_stages(session: Session) -> list[Stage]:
    existing = {s.code: s for s in session.scalars(select(Stage).where(Stage.region_id.is_(None)))}
    stages = []
    for seq, (code, name) in enumerate(STANDARD_STAGES, start=1):
        stage = existing.get(code)
        if stage is None:
            stage = Stage(code=code, name=name, seq=seq)
            session.add(stage)
        stages.append(stage)
    session.flush()
    return stages
