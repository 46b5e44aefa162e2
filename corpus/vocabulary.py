"""The product's Vietnamese word lists, in one place: the words that shape a question
rather than say what it is about, the short forms the plans and their readers use, and the
filler words each matcher ignores. Data, not logic: each list says who reads it.

Changing a list changes answers: measure with `tthc eval`, `python -m eval.procedures` and
`python -m eval.snapshot` before and after.
"""

from __future__ import annotations

# Words that carry the shape of a question, not its subject (retriever.segment keeps them
# out of every token view, so a question's `khi nào` or `bao nhiêu` never matches a passage
# by itself).
QUESTION_WORDS = frozenset(
    [
        "ai", "bao", "bao_giờ", "bao_lâu", "bao_nhiêu", "bị", "cho", "chưa", "các", "cái", "có",
        "của", "em", "gì", "hay", "hả", "hỏi", "không", "là", "làm_sao", "mà", "mình", "mấy", "nhé",
        "nhỉ", "những", "nào", "ra", "sao", "thì", "thế", "tôi", "và", "vâng", "vậy", "với", "xin",
        "à", "đâu", "được", "ơi", "ạ", "ở",
    ]
)  # fmt: skip

# The same, without diacritics: most question words then collide with content words
# (`hỏi`/`hội`, `cái`/`cải`, `tôi`/`tối`, `thế`/`thể`), so the folded view drops only those
# that cannot.
FOLDED_QUESTION_WORDS = frozenset(
    [
        "a", "cac", "duoc", "gi", "ha", "khong", "la", "nao", "nhe", "nhi", "nhung", "o", "oi",
        "va", "vay",
    ]
)  # fmt: skip

# Short forms the plans and their readers use, keyed by their folded spelling. A text that
# contains one is indexed (and a question is searched) with the long form added, so
# `Trung tâm PVHCC` meets `Trung tâm Phục vụ hành chính công` and back (retriever.segment).
SHORT_FORMS = {
    "cchc": "cải cách hành chính",
    "tthc": "thủ tục hành chính",
    "pvhcc": "phục vụ hành chính công",
    "hcc": "hành chính công",
    "hdnd": "hội đồng nhân dân",
    "ubnd": "ủy ban nhân dân",
    "vp": "văn phòng",
    "vhxh": "văn hóa xã hội",
    "cds": "chuyển đổi số",
    "dvc": "dịch vụ công",
    "dvctt": "dịch vụ công trực tuyến",
    "qppl": "quy phạm pháp luật",
    "vbqppl": "văn bản quy phạm pháp luật",
    "dvsncl": "đơn vị sự nghiệp công lập",
    "cbccvc": "cán bộ công chức viên chức",
    "ttdt": "thông tin điện tử",
    "mttq": "mặt trận tổ quốc",
    "csdl": "cơ sở dữ liệu",
    "kh": "kế hoạch",
    "qd": "quyết định",
    "nq": "nghị quyết",
    "tp": "thành phố",
}

# Folded syllables that say nothing about which plan duty is meant: the asking words, and
# the words every duty shares, since each is one of administrative reform in some plan of
# some year (retriever.duties).
TASK_FILLER = frozenset(
    [
        "ai", "cac", "cach", "cai", "cchc", "chinh", "cho", "chu", "co", "cong", "cua", "danh",
        "don", "duoc", "gi", "giao", "hanh", "hay", "hien", "hoach", "ke", "khong", "la", "lam",
        "muc", "nam", "nao", "nay", "nhiem", "nhung", "o", "phai", "phu", "quan", "tac", "tam",
        "thi", "thuc", "trach", "tri", "trong", "va", "ve", "vi", "viec", "voi", "vu", "xa",
    ]
)  # fmt: skip
