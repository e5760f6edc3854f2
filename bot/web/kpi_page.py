"""The KPI dashboard page (charts drawn by the vendored Chart.js) and its CSV export."""

import csv
import io
import json
from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from markupsafe import Markup

from bot.api.deps import CatalogueDep, StoreDep
from bot.api.errors import ApiError
from bot.api.kpi import DayText, kpi_filter, kpi_report
from bot.complaints import UnknownCode
from bot.kpi import InquiryOutcome, KpiReport, RangeProblem, RangeRefused
from bot.web.render import PagesDep, page_labels, render
from bot.web.security import ManagerPageDep
from bot.words import N_

router = APIRouter(prefix="/staff", include_in_schema=False)
Code = Annotated[str, Query(max_length=40)]
OUTCOME_WORDS: dict[InquiryOutcome, str] = {
    "answered": N_("kpi.outcome.answered"),
    "no_match": N_("kpi.outcome.no_match"),
    "limited": N_("kpi.outcome.limited"),
    "unavailable": N_("kpi.outcome.unavailable"),
    "sms_answered": N_("kpi.outcome.sms_answered"),
    "sms_no_match": N_("kpi.outcome.sms_no_match"),
    "sms_gave_up": N_("kpi.outcome.sms_gave_up"),
}
# Why a range is refused, said beside the filters.
RANGE_PROBLEMS: dict[RangeProblem | Literal["unknown_code"], str] = {
    "not_a_date": N_("kpi.range.not_a_date"),
    "reversed": N_("kpi.range.reversed"),
    "too_long": N_("kpi.range.too_long"),
    "too_early": N_("kpi.range.too_early"),
    "future": N_("kpi.range.future"),
    "unknown_code": N_("kpi.range.unknown_code"),
}


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


def charted(report: KpiReport) -> dict[str, bool]:
    """Which charts have something to draw; the others say "no data" instead."""
    series: dict[str, list[int]] = {
        "day": list(report.by_day.values()),
        "hour": report.by_hour,
        "channel": list(report.by_channel.values()),
        "category": list(report.by_category.values()),
        "district": list(report.by_district.values()),
        "ageing": list(report.ageing.values()),
        "satisfaction": list(report.satisfaction.distribution.values()),
        "abandoned": list(report.calls.abandoned_by_step.values()),
    }
    return {name: any(values) for name, values in series.items()}


@router.get("/kpi")
async def dashboard(
    request: Request,
    pages: PagesDep,
    catalogue: CatalogueDep,
    store: StoreDep,
    user: ManagerPageDep,
    start: Annotated[DayText, Query(alias="from")] = None,
    end: Annotated[DayText, Query(alias="to")] = None,
    district: Code = "",
    category: Code = "",
) -> Response:
    labels = page_labels(request, pages)
    choices = {
        "categories": [(code, labels.category(code)) for code in catalogue.categories],
        "districts": [(code, labels.district(code)) for code in catalogue.districts],
    }
    try:
        filters = kpi_filter(catalogue, start, end, district, category)
    except (RangeRefused, UnknownCode) as exc:
        # Refused with the reason, the typed values kept; never other dates' figures.
        problem: RangeProblem | Literal["unknown_code"] = (
            exc.problem if isinstance(exc, RangeRefused) else "unknown_code"
        )
        typed = {"start": start or "", "end": end or "", "district": district, "category": category}
        return render(
            request,
            pages,
            "kpi.html",
            status_code=422,
            user=user,
            report=None,
            refused=labels.text(RANGE_PROBLEMS[problem]),
            filters=typed,
            choices=choices,
        )
    report = await kpi_report(store, catalogue, filters)
    names = {
        "channels": {channel.code: labels.channel(channel.code) for channel in labels.channels},
        "categories": {code: labels.category(code) for code in catalogue.categories},
        "districts": {code: labels.district(code) for code in catalogue.districts},
        "transactions": {
            code: kind.name.get(labels.language) for code, kind in catalogue.transactions.items()
        },
        "outcomes": {outcome: labels.text(key) for outcome, key in OUTCOME_WORDS.items()},
    }
    return render(
        request,
        pages,
        "kpi.html",
        user=user,
        report=report,
        refused=None,
        filters=filters.model_dump(),
        charted=charted(report),
        report_json=_script_json(report.model_dump_json()),
        labels_json=_script_json(json.dumps(names, ensure_ascii=False)),
        query=request.url.query,
        choices=choices,
    )


@router.get("/kpi.csv")
async def export_csv(
    catalogue: CatalogueDep,
    store: StoreDep,
    _: ManagerPageDep,
    start: Annotated[DayText, Query(alias="from")] = None,
    end: Annotated[DayText, Query(alias="to")] = None,
    district: Code = "",
    category: Code = "",
) -> Response:
    try:
        filters = kpi_filter(catalogue, start, end, district, category)
    except RangeRefused as exc:
        raise ApiError(422, "invalid_range", f"invalid date range: {exc}") from None
    report = await kpi_report(store, catalogue, filters)
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
