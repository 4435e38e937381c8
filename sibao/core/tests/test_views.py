"""Downloads: the file name survives any language."""

from urllib.parse import unquote

from sibao.core.views import XLSX, file_response


def test_ascii_file_name():
    response = file_response(b"x", "enterprises.xlsx", XLSX)
    assert response["Content-Disposition"] == 'attachment; filename="enterprises.xlsx"'


def test_chinese_file_name_is_percent_encoded():
    response = file_response(b"x", "企业名录.xlsx", XLSX)
    header = response["Content-Disposition"]
    assert header.isascii()
    assert header.startswith("attachment; filename*=utf-8''")
    assert unquote(header.split("''", 1)[1]) == "企业名录.xlsx"
