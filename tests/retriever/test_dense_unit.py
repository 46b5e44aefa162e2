"""Fast checks of the embedder's input handling, with the model replaced by a stub."""

from types import SimpleNamespace

from retriever.dense import SentenceEmbedder


def _stub(vocab: dict) -> SentenceEmbedder:
    embedder = SentenceEmbedder.__new__(SentenceEmbedder)
    embedder._model = SimpleNamespace(tokenizer=SimpleNamespace(get_vocab=lambda: vocab))
    return embedder


def test_phobert_style_vocabulary_means_segmented_input():
    syllables = [
        "cải",
        "cách",
        "hành",
        "chính",
        "thủ",
        "tục",
        "hồ",
        "sơ",
        "công",
        "dân",
        "xã",
        "số",
        "đăng",
        "ký",
        "khai",
        "sinh",
        "kết",
        "hôn",
        "chứng",
        "thực",
        "bản",
        "sao",
        "phí",
        "lệ",
        "hạn",
    ]
    vocab = {f"{a}_{b}": i for i, (a, b) in enumerate((a, b) for a in syllables for b in syllables)}
    assert _stub(vocab)._wants_segmented()


def test_english_wordpiece_vocabulary_means_raw_input():
    vocab = {f"word{i}": i for i in range(30000)} | {"##ing": 1, "[CLS]": 2}
    assert not _stub(vocab)._wants_segmented()


def test_the_lazy_embedder_loads_its_model_once_on_first_use():
    import threading

    from conftest import HashEmbedder

    from retriever.dense import LazyEmbedder

    loads: list[int] = []

    def load():
        loads.append(1)
        return HashEmbedder()

    lazy = LazyEmbedder(load, "test:hash-embedder")
    assert lazy.name == "test:hash-embedder" and not lazy.loaded and loads == []
    threads = [threading.Thread(target=lazy.embed, args=(["xã Dân Hòa"],)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert loads == [1] and lazy.loaded and lazy.dim == 32
    assert lazy.embed(["xã"]).shape == (1, 32)


def test_an_engine_is_built_without_loading_the_model_and_a_missing_one_is_said_at_once(
    tmp_path,
):
    import pytest

    from retriever.dense import ModelError
    from service.engine import build_engine
    from service.settings import Settings

    engine = build_engine(Settings(data_dir=tmp_path))
    assert not engine.embedder.loaded  # type: ignore[attr-defined]
    with pytest.raises(ModelError, match="TTHC_EMBED_MODEL"):
        build_engine(Settings(data_dir=tmp_path, embed_model=str(tmp_path / "khong-co")))
