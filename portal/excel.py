"""Excel downloads laid out the way a committee office files them: a title row, a bold
header with borders, wrapped text, frozen header, landscape A4 fitted to one page wide.

Every str is written as a text cell, exactly as typed: openpyxl would make ``=...`` a live
formula, and a secretary's ``=HYPERLINK(...)`` would then send the committee's cells away.
Numbers and dates stay numbers and dates. Text a spreadsheet would read as a formula when
retyped (OWASP's prefixes) also gets Excel's quote prefix, so editing the cell keeps it text.
Control characters, which XML cannot hold, are dropped (Word's line breaks become line feeds)
rather than failing the whole download.
"""

import io
import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from django.http import HttpResponse

# openpyxl is imported where a workbook is made: 8 MB that a worker serving pages never needs.

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_WORD_BREAKS = {"\x0b": "\n", "\x0c": "\n"}  # Word's manual line and page breaks


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
    _append(ws, [sheet.heading])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws["A1"].font = Font(size=14, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.row_dimensions[1].height = 26
    _append(ws, [label for label, _ in sheet.columns])
    for column, (_, chars) in enumerate(sheet.columns, start=1):
        ws.column_dimensions[get_column_letter(column)].width = chars
        cell = ws.cell(row=2, column=column)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="F3E6E6")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = box
    for values in sheet.rows:
        for cell in _append(ws, values):
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


def _append(ws, values):
    """Add a row; return its cells, each str a text cell whatever it starts with."""
    ws.append([_xml_text(value) if isinstance(value, str) else value for value in values])
    row = ws[ws.max_row]
    for cell in row:
        if isinstance(cell.value, str):
            cell.data_type = "s"
            cell.quotePrefix = cell.value.startswith(FORMULA_PREFIXES)
    return row


def _xml_text(value):
    return _NOT_XML.sub(lambda match: _WORD_BREAKS.get(match[0], ""), value)


def xlsx_response(filename, sheets):
    """An attachment download; the Chinese file name is sent as RFC 5987 UTF-8."""
    response = HttpResponse(workbook_bytes(sheets), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
