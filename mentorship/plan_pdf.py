"""The Mentoring Plan as a PDF, for the pair's own use (print, share, file)."""

from io import BytesIO
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle


def _date(day) -> str:
    return day.strftime("%d %b %Y") if day else ""


def plan_pdf(pairing, objectives, activities) -> bytes:
    styles = getSampleStyleSheet()
    cell = styles["BodyText"]

    def para(text):
        return Paragraph(escape(text or ""), cell)

    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"Mentoring Plan: {pairing.mentee} and {pairing.mentor}",
        leftMargin=18 * mm,
        rightMargin=18 * mm,
    )
    table_style = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9ecef")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    story = [
        Paragraph("Mentoring Plan", styles["Title"]),
        para(
            f"{pairing.mentee} (mentee) and {pairing.mentor} (mentor), "
            f"{pairing.cycle}: {_date(pairing.starts_on)} to {_date(pairing.ends_on)}. "
            f"Printed {_date(timezone.localdate())}."
        ),
        Spacer(1, 6 * mm),
        Paragraph("Objectives", styles["Heading2"]),
    ]
    rows = [
        [
            para("Objective"),
            para("What success looks like"),
            para("Target"),
            para("Status"),
        ]
    ]
    rows += [
        [
            para(o.title),
            para(o.success),
            para(_date(o.target_date)),
            para(o.get_status_display()),
        ]
        for o in objectives
    ]
    story.append(
        Table(
            rows,
            colWidths=[50 * mm, 70 * mm, 25 * mm, 25 * mm],
            style=table_style,
            repeatRows=1,
            splitInRow=1,
        )
    )
    story += [
        Spacer(1, 6 * mm),
        Paragraph("Timeline of activities", styles["Heading2"]),
    ]
    rows = [[para("Activity"), para("Towards"), para("Due"), para("Done")]]
    rows += [
        [
            para(a.title),
            para(a.objective.title if a.objective else ""),
            para(_date(a.due_on)),
            para(_date(a.done_on)),
        ]
        for a in activities
    ]
    story.append(
        Table(
            rows,
            colWidths=[60 * mm, 60 * mm, 25 * mm, 25 * mm],
            style=table_style,
            repeatRows=1,
            splitInRow=1,
        )
    )
    document.build(story)
    return buffer.getvalue()
