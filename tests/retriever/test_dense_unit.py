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
