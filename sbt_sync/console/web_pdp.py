"""A person's own record in the console (UU 27/2022 subject access, issue 20 item 2): admins post a NIP
with the purpose of the request and get everything the product holds about that ASN as PDF or JSON,
the same report as ``sbt-sync pdp subject`` (:mod:`sbt_sync.pdp.subject`).

The NIP is posted (CSRF), never put in a URL; the request is recorded in the access log as a
``subject_report`` read with its purpose and every NIP the report holds (only the subject's: the report
leaves other people out) before the reads section is filled, so the report lists itself among the reads.
Only admins (``pdp.subject``): the report shows every agency's records of the person.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from connectors.redact import mask_nip
from sbt_sync.console.i18n import translator
from sbt_sync.console.roles import Principal
from sbt_sync.console.web import check_csrf, console, language, render, require
from sbt_sync.console.web_access import record as record_read
from sbt_sync.errors import SbtError
from sbt_sync.pdp.access import access_key, nips_in, reads_of
from sbt_sync.pdp.subject import gather_subject, valid_nip
from sbt_sync.pdp.subject_render import to_json, to_pdf

router = APIRouter(include_in_schema=False)
Admin = Annotated[Principal, Depends(require("pdp.subject"))]
PATH = "/admin/pdp/subject"


@router.get(PATH, response_class=HTMLResponse)
def subject_form(request: Request, me: Admin) -> Response:
    return render(request, "pdp_subject.html", me, error=None, purpose="", format="pdf")


@router.post(PATH, dependencies=[Depends(check_csrf)])
def subject_report(
    request: Request,
    me: Admin,
    nip: Annotated[str, Form(max_length=32)],
    purpose: Annotated[str, Form(max_length=500)],
    format: Annotated[Literal["pdf", "json"], Form()] = "pdf",
) -> Response:
    _ = translator(language(request))
    try:
        number = valid_nip(nip)
    except SbtError:
        return render(request, "pdp_subject.html", me, 400, error=_("pdp.subject.invalid_nip"),
                      purpose=purpose, format=format)  # fmt: skip
    if not purpose.strip():
        return render(request, "pdp_subject.html", me, 400, error=_("pdp.subject.purpose_required"),
                      purpose=purpose, format=format)  # fmt: skip
    with console(request).database.session() as session:
        report = gather_subject(session, number)
    shown = nips_in(report.as_dict()) | {number}
    record_read(request, me, "subject_report", shown, purpose=purpose.strip(), target=PATH)
    key = access_key(console(request).settings)
    with console(request).database.session() as session:
        report.sections["reads"] = reads_of(session, number, key=key)
    name = f"subjek-{mask_nip(number)[-4:]}"
    if format == "json":
        return Response(to_json(report), media_type="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{name}.json"'})  # fmt: skip
    data = to_pdf(report, requested_by=me.username, purpose=purpose.strip())
    return Response(data, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'})  # fmt: skip
