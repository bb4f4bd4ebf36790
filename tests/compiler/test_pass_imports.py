"""Imports: `use` paths relative to the importing file, missing files, cycles, depth."""

from lemonspec.compiler import Limits, check_file

TEAM = "team t {\n    agent a: Helper {}\n}\n"


def test_imported_roles_are_in_scope(tmp_path):
    (tmp_path / "roles").mkdir()
    (tmp_path / "roles" / "extra.lemon").write_text('role Helper { description: "Helps." }\n')
    spec = tmp_path / "team.lemon"
    spec.write_text('use "roles/extra.lemon"\n' + TEAM)
    assert check_file(spec).diagnostics == ()


def test_missing_file_is_reported_at_the_path(tmp_path):
    spec = tmp_path / "team.lemon"
    spec.write_text('use "nowhere.lemon"\n' + TEAM)
    (d,) = check_file(spec).diagnostics
    assert (d.code, d.span.line, d.span.column) == ("E0101", 1, 5)


def test_unknown_roles_are_not_reported_when_an_import_failed(tmp_path):
    spec = tmp_path / "team.lemon"
    spec.write_text('use "nowhere.lemon"\n' + TEAM)
    assert [d.code for d in check_file(spec).diagnostics] == ["E0101"]


def test_cycle_shows_the_chain(tmp_path):
    (tmp_path / "a.lemon").write_text('use "b.lemon"\n' + TEAM)
    (tmp_path / "b.lemon").write_text('use "a.lemon"\nrole Helper { description: "h" }\n')
    codes = [(d.code, d.message) for d in check_file(tmp_path / "a.lemon").diagnostics]
    assert codes == [("E0102", "import cycle: a.lemon -> b.lemon -> a.lemon")]


def test_syntax_errors_in_an_imported_file_name_that_file(tmp_path):
    (tmp_path / "bad.lemon").write_text("role Helper {\n")
    spec = tmp_path / "team.lemon"
    spec.write_text('use "bad.lemon"\n' + TEAM)
    (d,) = check_file(spec).diagnostics
    assert d.code == "E0001" and d.path.endswith("bad.lemon")


def test_import_depth_is_limited(tmp_path):
    for i in range(4):
        (tmp_path / f"r{i}.lemon").write_text(f'use "r{i + 1}.lemon"\n')
    (tmp_path / "r4.lemon").write_text('role Helper { description: "h" }\n')
    spec = tmp_path / "team.lemon"
    spec.write_text('use "r0.lemon"\n' + TEAM)
    assert check_file(spec).ok
    assert "E0904" in [d.code for d in check_file(spec, limits=Limits(max_import_depth=3)).diagnostics]


def test_an_imported_file_that_is_not_utf8_is_reported_at_its_byte(tmp_path):
    (tmp_path / "bin.lemon").write_bytes(b"# ok\n\xff\xfe\x00")
    spec = tmp_path / "team.lemon"
    spec.write_text('use "bin.lemon"\n' + TEAM)
    [found] = check_file(spec).diagnostics
    assert (found.code, found.path, found.span.line, found.span.column) == (
        "E0003", str(tmp_path / "bin.lemon"), 2, 1)
    assert "byte 0xff at byte offset 5" in found.message
