"""The KPI dashboard page (charts drawn by the vendored Chart.js) and its CSV export."""

import csv
import io
import json
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from markupsafe import Markup

from bot.api.deps import ServicesDep
from bot.api.errors import ApiError
from bot.api.kpi import DayText, kpi_filter, kpi_report
from bot.complaints import UnknownCode
from bot.kpi import KpiReport
from bot.web.render import page_labels, render
from bot.web.security import ManagerPageDep

router = APIRouter(prefix="/staff", include_in_schema=False)
Code = Annotated[str, Query(max_length=40)]


def _script_json(text: str) -> Markup:
    """JSON safe inside a <script type="application/json"> element (no closing tag)."""
    return Markup(text.replace("</", "<\\/"))  # noqa: S704 - JSON, "</" neutralised


def csv_rows(report: KpiReport) -> Iterator[tuple[str, str, object]]:
    """Every figure as (section, key, value): one flat table a spreadsheet opens as it is."""
    figures = report.model_dump(mode="json")
    for section, value in figures.items():
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, dict):
                    for inner, count in item.items():
                        yield f"{section}.{key}", inner, count
                else:
                    yield section, key, item
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield section, str(index), item
        else:
            yield section, "", value


@router.get("/kpi")
async def dashboard(
    request: Request,
    services: ServicesDep,
    user: ManagerPageDep,
    start: Annotated[DayText, Query(alias="from")] = None,
    end: Annotated[DayText, Query(alias="to")] = None,
    district: Code = "",
    category: Code = "",
) -> Response:
    try:
        filters = kpi_filter(services, start, end, district, category)
    except (ApiError, UnknownCode):
        filters = kpi_filter(services, None, None, None, None)
    report = await kpi_report(services, filters)
    labels = page_labels(request, services)
    names = {
        "channels": {channel.code: labels.channel(channel.code) for channel in labels.channels},
        "categories": {code: labels.category(code) for code in services.catalogue.categories},
        "districts": {code: labels.district(code) for code in services.catalogue.districts},
    }
    return render(
        request,
        services,
        "kpi.html",
        user=user,
        report=report,
        filters=filters,
        report_json=_script_json(report.model_dump_json()),
        labels_json=_script_json(json.dumps(names, ensure_ascii=False)),
        categories=[(code, labels.category(code)) for code in services.catalogue.categories],
        districts=[(code, labels.district(code)) for code in services.catalogue.districts],
        query=request.url.query,
    )


@router.get("/kpi.csv")
async def export_csv(
    services: ServicesDep,
    _: ManagerPageDep,
    start: Annotated[DayText, Query(alias="from")] = None,
    end: Annotated[DayText, Query(alias="to")] = None,
    district: Code = "",
    category: Code = "",
) -> Response:
    report = await kpi_report(services, kpi_filter(services, start, end, district, category))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("section", "key", "value"))
    writer.writerows(csv_rows(report))
    name = f"balagh-kpi-{report.start}-{report.end}.csv"
    return Response(
        "\ufeff" + out.getvalue(),  # the BOM makes spreadsheet apps read UTF-8 (Arabic) right
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
