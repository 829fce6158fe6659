from pathlib import Path

import pytest

from nexus_ld.errors import InputError
from nexus_ld.formats import RDF_FORMATS
from nexus_ld.pipeline.load import load_project, parse_bytes, parse_file


def test_syntax_error_names_file_line_and_column(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix ex: <http://e/> .\nex:a ex:b ex:c .\nex:a ex:b "unterminated .\n')
    with pytest.raises(InputError) as info:
        parse_file(bad)
    assert info.value.line == 3
    assert str(info.value).startswith(f"{bad}:3:")


def test_non_utf8_is_refused_with_the_byte_offset():
    with pytest.raises(InputError, match="not UTF-8"):
        parse_bytes(b'<http://a> <http://b> "\xff" .', RDF_FORMATS["ntriples"], "body")


def test_unknown_suffix_is_refused(tmp_path):
    path = tmp_path / "x.docx"
    path.write_text("x")
    with pytest.raises(InputError, match="unknown RDF file type"):
        parse_file(path)


def test_project_loads_every_group_of_files(project_dir: Path):
    project = load_project(project_dir)
    assert len(project.ontology) > 500 and len(project.shapes) > 50 and len(project.data) > 1000
    assert any(p.suffix == ".txt" for p in project.files)  # source texts count in the checksum
    assert project.checksum() == load_project(project_dir).checksum()
