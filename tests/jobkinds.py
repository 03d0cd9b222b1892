"""A slow user job for the job-machinery tests; imported by the test and its worker."""
from __future__ import annotations

import time

from app.services.jobs import temp_path
from workers.kinds import JOB_KINDS, JobKind


def slow_file(session, ctx, steps: int = 5, pause: float = 0.0, fail: bool = False):
    final = ctx.output("slow.txt")
    with open(temp_path(final), "w") as fh:
        for step in range(steps):
            fh.write(f"line {step}\n")
            fh.flush()
            ctx.progress(int((step + 1) * 100 / steps) - 1)
            time.sleep(pause)
            if fail and step == 1:
                raise RuntimeError("测试失败 deliberate failure")
    return final


def slow_workbook(session, ctx, rows: int = 5, pause: float = 0.0):
    """An export as the ledgers write one: a constant_memory workbook streamed row by row."""
    from app.services import xlsx

    final = ctx.output("slow.xlsx")
    temp = temp_path(final)
    workbook = xlsx.open_workbook(temp)
    try:
        ws = workbook.add_worksheet("台账")
        for row in range(rows):
            ws.write_string(row, 0, f"甲县 乙县 项目 {row} " * 20)
            if row % 10 == 9:
                ctx.progress(int((row + 1) * 100 / rows) - 1)
                time.sleep(pause)
        workbook.close()
    finally:
        xlsx.discard_scratch(temp)
    return final


# A row of the job table, as a real kind would have in workers/kinds.py.
JOB_KINDS["test_slow_file"] = JobKind("test_slow_file", "exports", slow_file, "测试任务")
JOB_KINDS["test_slow_workbook"] = JobKind("test_slow_workbook", "exports", slow_workbook,
                                          "测试导出")
