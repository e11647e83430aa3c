"""Reports whose scratch files stay on the process's disk and are read again later."""

import csv
import re
import uuid
from pathlib import Path

from flask import Flask, jsonify, request

REPORT_ID = re.compile(r"[0-9a-f]{32}")
SCRATCH = Path("scratch")
app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024


def summarise(path: Path) -> dict[str, float]:
    """Count the `item,amount` rows of a CSV file and add up the amounts."""
    rows, total = 0, 0.0
    with path.open(newline="", encoding="utf-8", errors="replace") as lines:
        for number, row in enumerate(csv.reader(lines), start=1):
            if len(row) != 2:
                raise ValueError(f"line {number}: expected 'item,amount'")
            try:
                total += float(row[1])
            except ValueError:
                raise ValueError(f"line {number}: amount {row[1][:20]!r} is not a number") from None
            rows += 1
    return {"rows": rows, "total": round(total, 2)}


@app.post("/reports")
def create_report():
    """Summarise the CSV in the request body and keep the upload for later."""
    report_id = uuid.uuid4().hex
    SCRATCH.mkdir(exist_ok=True)
    upload = SCRATCH / f"{report_id}.csv"
    upload.write_bytes(request.get_data())
    try:
        summary = summarise(upload)
    except (ValueError, csv.Error) as error:
        upload.unlink()
        return jsonify(error=str(error)), 400
    return jsonify(id=report_id, **summary), 201


@app.get("/reports/<report_id>")
def read_report(report_id: str):
    """Answer a summary made earlier, by summarising the kept upload again."""
    upload = SCRATCH / f"{report_id}.csv"
    if not REPORT_ID.fullmatch(report_id) or not upload.is_file():
        return jsonify(error=f"no report {report_id}"), 404
    return jsonify(id=report_id, **summarise(upload))
