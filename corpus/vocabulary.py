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

# Words every question about the plans shares, and the words that only shape a question;
# neither says which passage answers. Compared folded, so both spellings are covered
# (service.answer.understand: a question's content words are the others).
QUESTION_FRAME_WORDS = frozenset(
    [
        "a", "ai", "ban", "bao", "biet", "cach", "cai", "can", "cchc", "chinh", "cho", "chua", "co",
        "cua", "dan", "dau", "de", "den", "duoc", "gi", "gio", "gom", "hanh", "hoach", "hoi",
        "ke", "khi", "khong", "lam", "lay", "le", "may", "muon", "nam", "nao", "nha", "nhan", "nhe",
        "nhieu", "nhung", "nuoc", "o", "phai", "phan", "ra", "sao", "thang", "the", "toi", "tram",
        "tu", "ty", "ubnd", "uy", "va", "vay", "xa", "xin", "xong",
    ]
)  # fmt: skip

# Folded words that follow `xã` in ordinary sentences (`xã có`, `xã phải`, `ở xã mất bao
# nhiêu`), never a place name (service.answer.understand: an unknown commune).
NOT_PLACE_NAMES = frozenset(
    [
        "ban", "bao", "can", "chua", "chung", "co", "con", "cua", "da", "dang", "di", "do", "dong",
        "duoc", "em", "gi", "giao", "hay", "het", "hoi", "khong", "la", "lam", "lay", "mat", "minh",
        "mo", "nam", "nao", "nay", "nhan", "nhu", "nop", "phai", "ra", "se", "the", "thi", "thu",
        "toi", "ton", "tra", "tren", "trong", "va", "ve", "voi", "xin",
    ]
)  # fmt: skip

# Folded syllables of a procedure's name that do not tell procedures apart (`Thủ tục`)
# (service.answer.procedure).
PROCEDURE_NAME_FILLER = frozenset(
    [
        "thu", "tuc",
    ]
)  # fmt: skip

# Short forms of unit names, folded, as the verifier compares unit names
# (service.answer.verify).
UNIT_SHORT_FORMS = {
    "ubnd": "uy ban nhan dan",
    "hdnd": "hoi dong nhan dan",
    "pvhcc": "phuc vu hanh chinh cong",
    "vp": "van phong",
    "tt": "trung tam",
}

# Folded words after a unit head that make it an ordinary word, not a unit's name
# (`phòng chống`, `ban hành`) (service.answer.verify).
NOT_UNIT_WORDS = frozenset(
    [
        "bo", "chong", "cua", "do", "hop", "huu", "khi", "la", "lam", "nay", "ngua", "o", "thi",
        "tiep", "va",
    ]
)  # fmt: skip

# Words for the levels of local government (service.answer.verify).
LOCALITIES = frozenset(
    [
        "huyện", "phường", "thành", "thị", "tỉnh", "xã",
    ]
)  # fmt: skip

# Unit heads the verifier also reads in lower case (`phòng tư pháp huyện`)
# (service.answer.verify).
LOWER_UNIT_HEADS = frozenset(
    [
        "chi cục", "cục", "phòng", "sở", "trung tâm", "tòa án", "viện kiểm sát", "văn phòng",
    ]
)  # fmt: skip

# Folded heads that name a unit by themselves (`Công an xã`); the others need a name after
# them (`Phòng Kinh tế`) (service.answer.verify).
UNITS_NAMED_BY_HEAD = frozenset(
    [
        "buu dien", "cong an", "hdnd", "hoi dong nhan dan", "kho bac", "ubnd", "uy ban nhan dan",
    ]
)  # fmt: skip
