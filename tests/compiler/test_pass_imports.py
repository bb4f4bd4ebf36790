"""Imports: `use` paths relative to the importing file, missing files, cycles, depth."""

import json
import os
import sys

import pytest

from lemonspec.compiler import Limits, check_file, check_text

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


# Confinement: `use` stays inside the project root and reads only .lemon files.

def imports_of(tmp_path, path, **options):
    spec = tmp_path / "team.lemon"
    spec.write_text(f"use {json.dumps(path)}\n" + TEAM)
    return check_file(spec, **options).diagnostics


@pytest.mark.parametrize("path", ["/proc/self/environ", "/etc/passwd", "/dev/zero",
                                  "/tmp/x.lemon", "", "~/roles.lemon"])
def test_absolute_and_odd_paths_are_refused_before_any_read(tmp_path, path):
    [found] = imports_of(tmp_path, path)
    assert found.code == "E0104" and "not a relative path" in found.message
    assert "\x00" not in found.message


def test_a_nul_in_a_use_path_is_a_diagnostic_not_a_value_error():
    [found] = check_text('use "a\x00b.lemon"\n' + TEAM).diagnostics
    assert (found.code, found.span.line, found.span.column) == ("E0003", 1, 7)


@pytest.mark.parametrize("path", ["../roles.lemon", "roles/../../roles.lemon",
                                  "../../../../../../../../proc/self/environ"])
def test_dotdot_out_of_the_root_is_refused(tmp_path, path):
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "roles.lemon").write_text('role Helper { description: "h" }\n')
    [found] = imports_of(project, path)
    assert found.code == "E0104" and "outside the project root" in found.message


def test_dotdot_inside_the_root_is_fine(tmp_path):
    (tmp_path / "teams").mkdir()
    (tmp_path / "roles.lemon").write_text('role Helper { description: "h" }\n')
    spec = tmp_path / "teams" / "team.lemon"
    spec.write_text('use "../roles.lemon"\n' + TEAM)
    assert [d.code for d in check_file(spec).diagnostics] == ["E0104"]  # root: teams/
    assert check_file(spec, root=tmp_path).ok  # a wider root lets it in


def test_only_lemon_files_are_imported(tmp_path):
    (tmp_path / "notes.txt").write_text('role Helper { description: "h" }\n')
    [found] = imports_of(tmp_path, "notes.txt")
    assert found.code == "E0105"


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_a_symlink_out_of_the_root_is_refused(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "secret.lemon").write_text('role Helper { description: "secret" }\n')
    (project / "roles.lemon").symlink_to(tmp_path / "secret.lemon")
    (project / "env.lemon").symlink_to("/proc/self/environ")
    assert [d.code for d in imports_of(project, "roles.lemon")] == ["E0104"]
    assert [d.code for d in imports_of(project, "env.lemon")] == ["E0104"]


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_a_symlink_to_a_file_that_is_not_lemon_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("SECRET\n")
    (tmp_path / "roles.lemon").symlink_to(tmp_path / "notes.txt")
    [found] = imports_of(tmp_path, "roles.lemon")
    assert found.code == "E0105" and "SECRET" not in found.message


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs")
def test_a_fifo_named_lemon_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe.lemon")
    [found] = imports_of(tmp_path, "pipe.lemon")
    assert found.code == "E0105" and "FIFO" in found.message


def test_an_imported_file_over_the_limit_is_not_read(tmp_path):
    (tmp_path / "big.lemon").write_text("#" * 5000 + "\n")
    [found] = imports_of(tmp_path, "big.lemon", limits=Limits(max_file_bytes=1000))
    assert found.code == "E0901"


def test_a_text_with_no_file_imports_from_the_current_directory_or_root(tmp_path,
                                                                       monkeypatch):
    (tmp_path / "roles.lemon").write_text('role Helper { description: "h" }\n')
    text = 'use "roles.lemon"\n' + TEAM
    assert check_text(text, root=tmp_path).ok
    monkeypatch.chdir(tmp_path)
    assert check_text(text).ok
    assert [d.code for d in check_text('use "../roles.lemon"\n' + TEAM).diagnostics] == [
        "E0104"]


def test_a_nul_in_the_path_or_root_given_to_the_api_is_not_a_value_error():
    text = 'use "x.lemon"\n' + TEAM
    assert [d.code for d in check_text(text, "d\x00/a.lemon").diagnostics] == ["E0104"]
    assert [d.code for d in check_text(text, "/tmp/a.lemon", root="/t\x00").diagnostics] == [
        "E0104"]
