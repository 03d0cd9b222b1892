"""Excel ledgers: built for a county-a user and opened with openpyxl (headers, scope, fills,
formats, hostile text), the row limit, the CLI, the list button's filters, and a real job on
real Redis run by an RQ worker in burst mode."""
from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app import ledgers
from app.extensions import db
from app.models import (
    Applicant,
    ApprovalItem,
    AppUser,
    CardLevel,
    CardSubject,
    ItemStatus,
    JobRecord,
    JobStatus,
    ListLevel,
    OrgUnit,
    Project,
    Region,
    WarningCard,
)
from app.security.scope import Scope
from app.services import jobs, xlsx
from workers import user_jobs

from . import factories as f

AS_OF = dt.date(2026, 11, 23)  # a Monday
HOSTILE = '=HYPERLINK("http://x","y")'
RED = "FFF8CBAD"
YELLOW = "FFFFF2CC"
# What county a holds once `data` is in (the world's project and its one template item;
# LEDGER-0001 with that item and three more; LEDGER-0002 with it and one more).
A_PROJECTS = 3
A_ITEMS = 1 + 4 + 2
A_ACCEPTED_ITEMS = 3  # -超期事项, @临期事项, 黄牌事项


@pytest.fixture(scope="module")
def data(app, world):
    """County a: a hostile-named project with a red-carded overdue item and an item due
    soon; a second project with a yellow card. County b keeps its own project."""
    with app.app_context():
        a = world.a
        region = db.session.get(Region, a.region.id)
        dept = db.session.get(OrgUnit, a.department.id)
        applicant = db.session.get(Applicant, a.applicant.id)
        hostile = f.project(region, applicant, name=HOSTILE, code="LEDGER-0001",
                            list_level=ListLevel.PROVINCIAL)
        hostile.investment_wan = Decimal("12345.67")
        late = f.item(hostile, dept, name="-超期事项", status=ItemStatus.ACCEPTED,
                      accepted_on=dt.date(2026, 11, 2), due_on=dt.date(2026, 11, 9))
        soon = f.item(hostile, dept, name="@临期事项", status=ItemStatus.ACCEPTED,
                      accepted_on=dt.date(2026, 11, 20), due_on=dt.date(2026, 11, 27))
        f.item(hostile, dept, name="+已办结事项", status=ItemStatus.FINISHED,
               accepted_on=dt.date(2026, 10, 12), due_on=dt.date(2026, 10, 19),
               finished_on=dt.date(2026, 10, 16))
        yellow = f.project(region, applicant, name="黄牌项目", code="LEDGER-0002")
        yellow_item = f.item(yellow, dept, name="黄牌事项", status=ItemStatus.ACCEPTED,
                             accepted_on=dt.date(2026, 11, 16), due_on=dt.date(2026, 11, 24))
        db.session.add_all([
            WarningCard(subject=CardSubject.ITEM, subject_id=late.id, level=CardLevel.RED,
                        project_id=hostile.id, org_unit_id=dept.id, title="超期",
                        due_on=late.due_on),
            WarningCard(subject=CardSubject.ITEM, subject_id=yellow_item.id,
                        level=CardLevel.YELLOW, project_id=yellow.id, org_unit_id=dept.id,
                        title="临期", due_on=yellow_item.due_on),
        ])
        own = db.session.get(Project, world.a.project.id)
        own.problems, own.next_steps = "施工图审查意见未回复", "周五前协调"
        db.session.commit()
        return {"world_code": own.code, "hostile": hostile.id, "late": late.id, "soon": soon.id, "yellow": yellow.id,
                "b_project_code": db.session.get(Project, world.b.project.id).code}


def _scope(user_id) -> Scope:
    return Scope(db.session.get(AppUser, user_id))


def _data_rows(ws):
    """The rows under the header, without the project ledger's 合计 row."""
    return [r for r in ws.iter_rows(min_row=ledgers.HEADER_ROWS + 1, values_only=False)
            if r[0].value != "合计"]


def _by_code(ws, code_col=2):
    return {row[code_col - 1].value: row for row in _data_rows(ws)}


def _assert_grid(ws, last_col, last_row=None):
    """Empty data cells get their borders from one conditional format over the data."""
    (cf,) = list(ws.conditional_formatting)
    assert str(cf.sqref) == f"A5:{last_col}{last_row or ws.max_row}"
    (rule,) = cf.rules
    assert rule.type == "containsBlanks" and rule.dxf.border.left.style == "thin"


def test_project_ledger(app, world, data, tmp_path):
    out = tmp_path / "projects.xlsx"
    with app.app_context():
        scope = _scope(world.a.users["clerk"].id)
        rows = ledgers.build_project_ledger(db.session, scope, {}, out, as_of=AS_OF)
        stages = ledgers.standard_stages(db.session)
    book = openpyxl.load_workbook(out)
    # The ledger's first worksheet, then the stages' (no project of county a runs a
    # measure: no 创新举措 worksheet).
    assert book.sheetnames == ["重大项目推进台账", "各阶段办理情况"]
    ws, ws_stages = book.worksheets
    assert rows == A_PROJECTS == len(_data_rows(ws)) == len(_data_rows(ws_stages))

    # Title and grouped, merged headers; Chinese column names (the screens' labels).
    ncols = 18
    assert ws.max_column == ncols
    last = openpyxl.utils.get_column_letter(ncols)
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert ws["A1"].value == "甲县重大项目推进台账（截至2026年11月23日）"
    assert f"A1:{last}1" in merged and f"A2:{last}2" in merged
    assert ws["A3"].value == "序号" and "A3:A4" in merged
    assert [ws.cell(3, c).value for c in range(1, 13)] == [
        "序号", "项目代码", "项目名称", "项目单位", "行政区划", "镇（街道、园区）", "项目级别",
        "列入年度", "总投资（万元）", "帮办员", "当前阶段", "状态"]
    assert ws.cell(3, 13).value == "预警与督办" and "M3:P3" in merged
    assert [ws.cell(4, c).value for c in range(13, 17)] == ["红牌", "黄牌", "在办事项",
                                                            "未办结工单"]
    assert (ws["Q3"].value, ws["R3"].value) == ("存在问题", "下步计划")

    # Print and screen set-up.
    assert ws.freeze_panes == "D5"
    assert ws.auto_filter.ref == f"A4:{last}{4 + A_PROJECTS}"
    assert int(ws.page_setup.paperSize) == 8 and ws.page_setup.orientation == "landscape"
    assert ws.print_title_rows == "$3:$4"
    # Fit to one page wide (1 is the default width, left out of the file), any height.
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)
    assert int(ws.page_setup.fitToHeight) == 0
    _assert_grid(ws, last, 4 + A_PROJECTS)

    # Scope: county b's project is not there.
    by_code = _by_code(ws)
    assert data["b_project_code"] not in by_code
    # The hostile name stays text; nothing is a formula or a hyperlink.
    hostile = by_code["LEDGER-0001"]
    assert hostile[2].value == HOSTILE and hostile[2].data_type == "s"
    for sheet in book.worksheets:
        assert not sheet._hyperlinks
        assert all(c.hyperlink is None and c.data_type != "f"
                   for r in sheet.iter_rows() for c in r)
    # 万元 format, list level label, red row; counts of cards and open items; the
    # assistant by name (姓 then 名: the factories' users are 测试 + login).
    assert hostile[8].value == pytest.approx(12345.67) and hostile[8].number_format == "#,##0.00"
    assert hostile[6].value == "省级"
    assert all(c.fill.fgColor.rgb == RED for c in hostile)
    assert [c.value for c in hostile[12:16]] == [1, 0, 2, 0]
    assert all(c.fill.fgColor.rgb == YELLOW for c in by_code["LEDGER-0002"])
    world_project = by_code[data["world_code"]]
    assert world_project[9].value == "测试a_assistant"
    assert world_project[16].value == "施工图审查意见未回复" and world_project[17].value == "周五前协调"
    assert world_project[16].alignment.wrap_text and world_project[5].alignment.wrap_text

    # 合计: the number of projects and the total investment, and the counts.
    total = [c.value for c in ws[4 + A_PROJECTS + 1]]
    assert total[0] == "合计" and total[2] == f"共 {A_PROJECTS} 个项目"
    with app.app_context():
        invested = db.session.scalar(select(func.sum(Project.investment_wan)).where(
            Project.region_id == world.a.region.id))
    assert total[8] == pytest.approx(float(invested))
    assert total[12:16] == [1, 1, 3, 0]
    assert ws.cell(4 + A_PROJECTS + 1, 1).font.b

    # The stages: 序号, code and name again, then per stage the state and its date.
    assert [ws_stages.cell(3, c).value for c in (1, 2, 3)] == ["序号", "项目代码", "项目名称"]
    assert ws_stages.max_column == 3 + 2 * len(stages)
    assert ws_stages["D3"].value == stages[0][1] == "前期策划生成" and "D3:E3" in {
        str(r) for r in ws_stages.merged_cells.ranges}
    assert (ws_stages["D4"].value, ws_stages["E4"].value) == ("办理状态", "完成日期")
    assert ws_stages["A1"].value == "甲县重大项目推进台账（截至2026年11月23日）——各阶段办理情况"
    assert ws_stages.freeze_panes == "D5" and int(ws_stages.page_setup.paperSize) == 8
    row = _by_code(ws_stages)["LEDGER-0001"]
    construction = 3 + 2 * [s[1] for s in stages].index("施工许可")
    assert row[construction].value == "办理中"
    assert [c.value for c in row[:3]] == [c.value for c in hostile[:3]]
    assert ws_stages.cell(4 + A_PROJECTS + 1, 1).value == "合计"


def test_measure_columns_come_from_the_plugins(app, world, data, tmp_path):
    """A plugin's ledger column (桩基先行) appears under 创新举措 when a project of the
    ledger runs the measure, with the cell its value function gives from the latest
    instance; a county with no such instance does not get the column."""
    from app.models import WorkflowInstance
    from app.plugins import pile_first
    from app.workflow import engine

    header = "桩基先行（节省工作日）"
    with app.app_context():
        project = db.session.get(Project, data["yellow"])
        old = engine.start(db.session, project, "pile_first", pile_first.DEFINITION, {})
        engine.cancel(db.session, old, None)
        latest = engine.start(db.session, project, "pile_first", pile_first.DEFINITION,
                              {"pile_permit_on": "2026-11-02", "full_permit_on": "2026-11-16"})
        db.session.commit()
        ids = [old.id, latest.id]
        try:
            ledgers.build_project_ledger(db.session, _scope(world.a.users["clerk"].id), {},
                                         tmp_path / "a.xlsx", as_of=AS_OF)
            ledgers.build_project_ledger(db.session, _scope(world.b.users["clerk"].id), {},
                                         tmp_path / "b.xlsx", as_of=AS_OF)
        finally:
            for iid in ids:
                db.session.delete(db.session.get(WorkflowInstance, iid))
            db.session.commit()
    book = openpyxl.load_workbook(tmp_path / "a.xlsx")
    assert book.sheetnames == ["重大项目推进台账", "各阶段办理情况", "创新举措"]
    ws = book["创新举措"]
    headers = [c.value for c in ws[4]]
    col = headers.index(header)
    group = [str(r) for r in ws.merged_cells.ranges if r.min_row == 3 and r.min_col <= col + 1
             <= r.max_col]
    assert ws.cell(3, group and int(openpyxl.utils.cell.range_boundaries(group[0])[0])
                   or col + 1).value == "创新举措"
    by_code = _by_code(ws)
    assert by_code["LEDGER-0002"][col].value == "提前10个工作日"
    assert by_code["LEDGER-0001"][col].value in (None, "")
    book_b = openpyxl.load_workbook(tmp_path / "b.xlsx")
    assert book_b.sheetnames == ["重大项目推进台账", "各阶段办理情况"]
    assert all(header not in [c.value for c in sheet[4]] for sheet in book_b.worksheets)


def test_project_ledger_plain_rows_have_no_fill(app, world, data, tmp_path):
    out = tmp_path / "projects.xlsx"
    with app.app_context():
        code = db.session.get(Project, world.a.project.id).code
        ledgers.build_project_ledger(db.session, _scope(world.a.users["clerk"].id),
                                     {"code": code}, out, as_of=AS_OF)
    ws = openpyxl.load_workbook(out).active
    (row,) = _data_rows(ws)
    assert row[1].value == code
    assert all(c.fill.fgColor.rgb in ("00000000", None) for c in row)


def test_item_ledger(app, world, data, tmp_path):
    out = tmp_path / "items.xlsx"
    with app.app_context():
        scope = _scope(world.a.users["clerk"].id)
        rows = ledgers.build_item_ledger(db.session, scope, {}, out, as_of=AS_OF)
        late, soon = (db.session.get(ApprovalItem, data[k]) for k in ("late", "soon"))
        list_view = {  # what the item list shows for the same day
            "late": (late.remaining_working_days(AS_OF), late.overdue_working_days(AS_OF)),
            "soon": (soon.remaining_working_days(AS_OF), soon.overdue_working_days(AS_OF))}
    ws = openpyxl.load_workbook(out).active
    rows_ = _data_rows(ws)
    assert rows == A_ITEMS == len(rows_)
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert ws["A1"].value == "甲县审批事项台账（截至2026年11月23日）"
    assert ws["B3"].value == "项目" and "B3:D3" in merged
    assert [ws.cell(4, c).value for c in (2, 3, 4)] == ["项目代码", "项目名称", "所在地区"]
    assert ws["F3"].value == "审批事项" and "F3:F4" in merged
    assert ws["H3"].value == "办理时限" and "H3:K3" in merged
    assert ws["M3"].value == "时限预警" and "M3:O3" in merged
    assert ws.freeze_panes == "D5" and ws.auto_filter.ref == f"A4:O{ws.max_row}"
    _assert_grid(ws, "O")

    assert data["b_project_code"] not in {r[1].value for r in rows_}
    items = {r[5].value: r for r in rows_ if r[1].value == "LEDGER-0001"}
    assert set(items) == {"甲县施工许可", "-超期事项", "@临期事项", "+已办结事项"}
    assert all(items[k][5].data_type == "s" for k in items)
    assert all(r[2].value == HOSTILE and r[2].data_type == "s" for r in items.values())
    late_row, soon_row = items["-超期事项"], items["@临期事项"]
    assert late_row[7].value == dt.datetime(2026, 11, 2)
    assert late_row[7].number_format == "yyyy-mm-dd"
    # Remaining/overdue working days as the item list shows them (Mon–Fri in November).
    assert (late_row[12].value, late_row[13].value) == list_view["late"] == (None, 10)
    assert (soon_row[12].value, soon_row[13].value) == list_view["soon"] == (4, None)
    assert late_row[11].value == "已受理" and late_row[14].value == "红牌"
    assert all(c.fill.fgColor.rgb == RED for c in late_row)
    assert soon_row[14].value is None and soon_row[0].fill.fgColor.rgb != RED
    yellow = next(r for r in rows_ if r[5].value == "黄牌事项")
    assert yellow[14].value == "黄牌" and yellow[0].fill.fgColor.rgb == YELLOW
    assert not ws._hyperlinks


def test_filters_of_the_list(app, world, data, tmp_path):
    from app.views.ledgers import list_filters

    # The registered views: their filters are the ones the lists read (text: contains first).
    views = {type(v).__name__: v for v in app.appbuilder.baseviews}
    ApprovalItemView, ProjectView = views["ApprovalItemView"], views["ProjectView"]
    args = MultiDict([("_flt_0_status", "ACCEPTED"), ("_flt_0_name", "期事项"),
                      ("_oc_ApprovalItemView", "due_on"), ("page", "2")])
    with app.test_request_context():
        assert list_filters(ApprovalItemView, args) == {"status": "ACCEPTED", "name__ct": "期事项"}
        region = str(world.a.region.id)
        assert list_filters(ProjectView, MultiDict([("_flt_0_region", region),
                                                    ("_flt_0_list_level", "PROVINCIAL")])) == {
            "region": region, "list_level": "PROVINCIAL"}
        with pytest.raises(ledgers.LedgerFilterError):
            list_filters(ProjectView, MultiDict([("_flt_9_list_level", "PROVINCIAL")]))
        # A column the list does not search is ignored, as the list ignores it.
        assert list_filters(ProjectView, MultiDict([("_flt_0_leader", "x")])) == {}

    out = tmp_path / "items.xlsx"
    with app.app_context():
        scope = _scope(world.a.users["clerk"].id)
        rows = ledgers.build_item_ledger(db.session, scope,
                                         {"status": "ACCEPTED", "name__ct": "期事项"}, out,
                                         as_of=AS_OF)
        assert rows == 2
        assert ledgers.count_rows(db.session, "projects", scope,
                                  {"list_level": "PROVINCIAL"}) == 1
        # A filter means what it means on the list (FAB's SQL), NULLs and wildcards alike.
        assert ledgers.count_rows(db.session, "projects", scope,
                                  {"town__nrel_o_m": "999999"}) == A_PROJECTS
        for bad in ({"nope": 1}, {"status": "NOPE"}, {"list_year": "x"},
                    {"list_year__ct": "2"}):
            with pytest.raises(ledgers.LedgerFilterError):
                ledgers.count_rows(db.session, "projects", scope, bad)
    names = {r[5].value for r in _data_rows(openpyxl.load_workbook(out).active)}
    assert names == {"-超期事项", "@临期事项"}


def test_too_many_rows_is_refused_before_writing(app, world, data, tmp_path, monkeypatch):
    out = tmp_path / "items.xlsx"
    monkeypatch.setattr(xlsx, "EXCEL_MAX_ROWS", ledgers.HEADER_ROWS + 1)  # room for one row
    with app.app_context():
        with pytest.raises(ledgers.LedgerTooLarge) as err:
            ledgers.build_item_ledger(db.session, _scope(world.a.users["clerk"].id), {}, out)
    assert "超过 Excel 单表上限" in str(err.value) and "Narrow the filters" in str(err.value)
    assert not out.exists()


def test_cli_export(app, world, data, tmp_path):
    from app.cli.ledgers import export_command

    runner = app.test_cli_runner()
    out = tmp_path / "cli.xlsx"
    result = runner.invoke(export_command, ["items", "--region", "990001", "--out", str(out),
                                            "--as-of", "2026-11-23"])
    assert result.exit_code == 0, result.output
    expected = A_ITEMS
    ws = openpyxl.load_workbook(out).active
    assert ws["A1"].value == "甲县审批事项台账（截至2026年11月23日）"
    assert len(_data_rows(ws)) == expected and f"{expected} rows" in result.output
    assert not Path(str(out) + ".part").exists()

    result = runner.invoke(export_command, ["projects", "--out", str(tmp_path / "all.xlsx")])
    assert result.exit_code == 0, result.output
    codes = {r[1].value for r in _data_rows(openpyxl.load_workbook(tmp_path / "all.xlsx").active)}
    assert data["b_project_code"] in codes and "LEDGER-0001" in codes

    result = runner.invoke(export_command, ["projects", "--region", "000000", "--out",
                                            str(tmp_path / "x.xlsx")])
    assert result.exit_code != 0 and "000000" in result.output
    assert not (tmp_path / "x.xlsx").exists()


@pytest.fixture()
def own_redis(app, monkeypatch, tmp_path):
    """The Redis the tests were given (TEST_REDIS_URL), emptied, and files of this test."""
    monkeypatch.setitem(app.config, "FILES_DIR", str(tmp_path / "files"))
    from workers.queues import redis_connection

    with app.app_context():
        redis_connection().flushdb()
    yield


def _burst(app):
    from rq import SimpleWorker

    from workers.queues import queue, redis_connection

    with app.app_context():
        queues = [queue(n) for n in app.config["RQ_QUEUES"]]
        SimpleWorker(queues, connection=redis_connection()).work(burst=True)


def test_a_ledger_job_runs_on_a_real_worker(app, world, data, own_redis):
    user_id = world.a.users["dispatcher"].id
    with app.app_context():
        record = user_jobs.start(db.session, user_id, "ledger_items", "审批事项台账",
                                 {"filters": {"status": "ACCEPTED"}, "as_of": "2026-11-23"})
        job_id = record.id
    _burst(app)
    with app.app_context():
        row = db.session.get(JobRecord, job_id)
        assert row.status == JobStatus.FINISHED, row.error
        assert row.progress == 100 and row.result_name == "审批事项台账-20261123.xlsx"
        path = Path(row.result_path)
    assert path.exists() and not Path(str(path) + ".part").exists()
    ws = openpyxl.load_workbook(path).active
    assert len(_data_rows(ws)) == A_ACCEPTED_ITEMS
    assert {r[11].value for r in _data_rows(ws)} == {"已受理"}


def test_a_too_large_ledger_job_fails_with_the_message(app, world, data, own_redis,
                                                       monkeypatch):
    monkeypatch.setattr(xlsx, "EXCEL_MAX_ROWS", ledgers.HEADER_ROWS + 1)
    with app.app_context():
        job_id = user_jobs.start(db.session, world.a.users["clerk"].id, "ledger_projects",
                                 "重大项目推进台账", {"filters": {}}).id
    _burst(app)
    with app.app_context():
        row = db.session.get(JobRecord, job_id)
        assert row.status == JobStatus.FAILED and "超过 Excel 单表上限" in row.error
    assert not list((Path(app.config["FILES_DIR"])).rglob(f"job{job_id}-*"))


def _ledger_view_registered(app) -> bool:
    return "LedgerView.export" in app.view_functions


def test_export_button_and_endpoint(app, world, data, own_redis, login):
    assert _ledger_view_registered(app), "LedgerView must be registered"
    client = login("a_clerk")
    html = client.get("/approvalitemview/list/?_flt_0_status=ACCEPTED").get_data(as_text=True)
    assert "/ledgers/items?_flt_0_status=ACCEPTED" in html
    assert "/ledgers/projects" in client.get("/projectview/list/").get_data(as_text=True)
    resp = client.post("/ledgers/items?_flt_0_status=ACCEPTED&_flt_0_name=%E6%9C%9F")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/jobrecordview/list/")
    with app.app_context():
        record = db.session.scalars(select(JobRecord).order_by(JobRecord.id.desc())).first()
        assert record.kind == "ledger_items" and record.user_id == world.a.users["clerk"].id
        assert record.params == {"filters": {"status": "ACCEPTED", "name__ct": "期"}}
        assert record.status == JobStatus.QUEUED
    # Someone without the Ledger permission cannot start one.
    assert login("a_company").post("/ledgers/items").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(JobRecord).where(
            JobRecord.user_id == world.a.users["company"].id)) == 0


def test_export_with_redis_down_answers_fast(app, world, data, login, monkeypatch):
    assert _ledger_view_registered(app), "LedgerView must be registered"
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    client = login("a_clerk")
    started = time.monotonic()
    resp = client.post("/ledgers/projects", follow_redirects=True)
    assert time.monotonic() - started < 2
    assert jobs.QUEUE_DOWN_MESSAGE.split("，")[0] in resp.get_data(as_text=True)
    with app.app_context():
        record = db.session.scalars(select(JobRecord).order_by(JobRecord.id.desc())).first()
        assert record.kind == "ledger_projects" and record.status == JobStatus.FAILED
