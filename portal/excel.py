"""Excel downloads laid out the way a committee office files them: a title row, a bold
header with borders, wrapped text, frozen header, landscape A4 fitted to one page wide."""

import io
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from django.http import HttpResponse

# openpyxl is imported where a workbook is made: 8 MB that a worker serving pages never needs.

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Sheet:
    title: str  # the tab name (at most 31 characters)
    heading: str  # the title row above the table
    columns: list  # [(label, width in characters)]
    rows: list  # lists of cell values, one per row


def workbook_bytes(sheets):
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        _write(book.create_sheet(sheet.title[:31]), sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write(ws, sheet):
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    thin = Side(style="thin", color="999999")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    width = len(sheet.columns)
    ws.append([sheet.heading])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws["A1"].font = Font(size=14, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.row_dimensions[1].height = 26
    ws.append([label for label, _ in sheet.columns])
    for column, (_, chars) in enumerate(sheet.columns, start=1):
        ws.column_dimensions[get_column_letter(column)].width = chars
        cell = ws.cell(row=2, column=column)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="F3E6E6")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = box
    for values in sheet.rows:
        ws.append(list(values))
        for cell in ws[ws.max_row]:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            cell.border = box
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A3"
    ws.print_title_rows = "2:2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def xlsx_response(filename, sheets):
    """An attachment download; the Chinese file name is sent as RFC 5987 UTF-8."""
    response = HttpResponse(workbook_bytes(sheets), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
