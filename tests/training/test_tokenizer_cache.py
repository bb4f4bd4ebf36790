"""The converted-tokenizer cache is shared by every process on the machine, so it appears
whole or not at all: a reader never finds tokenizer_config.json without tokenizer.json."""

from pathlib import Path

from lemonspec.training.models import _save_atomically


class SavesFiles:
    """A test double for a tokenizer's save_pretrained: writes files in the order given."""

    def __init__(self, *names: str, fail_after: int | None = None):
        self.names, self.fail_after = names, fail_after

    def save_pretrained(self, folder):
        for count, name in enumerate(self.names):
            if count == self.fail_after:
                raise OSError("disk full")
            (Path(folder) / name).write_text(name)


def test_the_cache_appears_whole(tmp_path):
    folder = tmp_path / "cache" / "tok"
    _save_atomically(SavesFiles("tokenizer_config.json", "tokenizer.json"), folder)
    assert sorted(p.name for p in folder.iterdir()) == ["tokenizer.json", "tokenizer_config.json"]
    assert [p.name for p in folder.parent.iterdir()] == ["tok"]  # no partial copy left


def test_a_failed_save_leaves_nothing_a_reader_could_take_for_a_cache(tmp_path):
    folder = tmp_path / "tok"
    # The cache is an optimisation: a failure to write it is silent, and leaves nothing.
    _save_atomically(SavesFiles("tokenizer_config.json", "tokenizer.json", fail_after=1), folder)
    assert list(tmp_path.iterdir()) == []


def test_a_cache_another_process_wrote_first_is_kept(tmp_path):
    folder = tmp_path / "tok"
    folder.mkdir()
    (folder / "tokenizer.json").write_text("theirs")
    _save_atomically(SavesFiles("tokenizer.json"), folder)
    assert (folder / "tokenizer.json").read_text() == "theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["tok"]
