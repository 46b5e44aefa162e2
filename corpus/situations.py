"""Life situations: the everyday words a citizen uses for an event in their life, and the
procedures that event calls for, named as the portal and the catalogue name them.

Each situation: its name, the words that say it (folded regular expressions, matched on word
boundaries), the
phrases a procedure's folded name holds when it belongs to the situation's family, the
situations usually done with it (the bundles: a birth brings residence and a child's health
insurance card; a death brings the residence struck off and the survivors' allowance), and
whether it names a thing (`entity`): a question about a thing no procedure of the index is
about (`sổ đỏ`, `con nuôi`) is answered "not covered", never with another procedure.

Written from the issue's list of life events and the portal's procedure names
(`../shared/data/dvcqg-procedures`, commune level), not from the evaluation questions.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Situation:
    name: str
    words: tuple[str, ...]
    names: tuple[str, ...]
    related: tuple[str, ...] = ()
    entity: bool = False


SITUATIONS = (
    Situation(
        "Sinh con",
        (
            "sinh con",
            "moi sinh",
            "vua sinh",
            "sinh be",
            "sinh em be",
            "sinh chau",
            "de con",
            "khai sinh",
            "giay chung sinh",
            "lam giay cho con",
            "lam giay to cho chau",
        ),
        ("khai sinh",),
        ("Chuyển nơi ở", "Bảo hiểm y tế"),
    ),
    Situation(
        "Kết hôn",
        (
            "ket hon",
            "lay vo",
            "lay chong",
            "cuoi vo",
            "cuoi chong",
            "dam cuoi",
            "dam hoi",
            "doc than",
        ),
        ("ket hon", "tinh trang hon nhan"),
    ),
    Situation(
        "Có người mất",
        (
            "qua doi",
            "tu tran",
            "bao tu",
            "khai tu",
            "giay chung tu",
            "mai tang",
            "ma chay",
            "tien tuat",
            "tu tuat",
            "nguoi mat",
            r"(bo|me|cha|ong|ba|chong|vo|con|anh|chi|em)( (toi|em|chau|noi|ngoai|nha))* "
            r"(vua |moi |da |bi )?mat",
        ),
        ("khai tu", "tu tuat", "mai tang", "nguoi huong da chet"),
        ("Chuyển nơi ở", "Bảo hiểm xã hội"),
    ),
    Situation(
        "Chuyển nơi ở",
        (
            "chuyen nha",
            "chuyen ve",
            "chuyen den",
            "nhap khau",
            "nhap ho khau",
            "thuong tru",
            "tam tru",
            "chuyen ho khau",
            "o tro",
            "o nho",
            "tach ho",
            "tach khau",
            "tam vang",
            "cat khau",
            "luu tru",
            "homestay",
            "khach ngu lai",
        ),
        ("thuong tru", "tam tru", "tach ho", "tam vang", "luu tru", "cu tru"),
    ),
    Situation(
        "Nhận con nuôi",
        ("con nuoi", "nhan nuoi", "xin con", "nuoi chau mo coi"),
        ("nuoi con nuoi",),
        entity=True,
    ),
    Situation(
        "Giám hộ",
        ("giam ho", "trong nom chau", "nguoi giam sat"),
        ("giam ho",),
        entity=True,
    ),
    Situation(
        "Nhận cha, mẹ, con",
        (
            r"nhan con(?! nuoi)",
            "nhan cha",
            "nhan bo",
            "nhan me",
            "xet nghiem adn",
            "con rieng",
            "bo ruot",
            "cha ruot",
            "de trong phan cha",
        ),
        ("nhan cha me con",),
        entity=True,
    ),
    Situation(
        "Người cao tuổi, người khuyết tật",
        (
            "nguoi cao tuoi",
            "nguoi gia",
            "tuoi gia",
            "khuyet tat",
            "tan tat",
            "bao tro xa hoi",
            "tro cap xa hoi",
            "tro cap hang thang",
        ),
        ("tro cap", "bao tro", "khuyet tat", "nguoi cao tuoi"),
    ),
    Situation(
        "Nghĩa vụ quân sự",
        ("nghia vu quan su", "di bo doi", "nhap ngu", "di linh", "tam hoan goi nhap ngu"),
        ("nghia vu quan su", "quan nhan"),
        entity=True,
    ),
    Situation(
        "Kinh doanh nhỏ",
        (
            "mo quan",
            "mo cua hang",
            "mo tiem",
            "buon ban",
            "ho kinh doanh",
            "kinh doanh ca the",
            "ban hang",
            "dang ky kinh doanh",
        ),
        ("ho kinh doanh", "kinh doanh"),
    ),
    Situation(
        "Sổ đỏ",
        ("so do", "so hong", "giay chung nhan quyen su dung dat", "bia do"),
        ("giay chung nhan quyen su dung dat",),
        entity=True,
    ),
    Situation(
        "Xây, sửa nhà",
        ("xay nha", "sua nha", "cai tao nha", "giay phep xay dung", "xin phep xay"),
        ("giay phep xay dung",),
    ),
    Situation(
        "Tranh chấp đất",
        ("tranh chap dat", "tranh chap ranh", "lan dat", "hoa giai dat", "hoa giai tranh chap"),
        ("tranh chap dat dai",),
    ),
    Situation(
        "Chứng thực giấy tờ",
        (
            "cong chung",
            "chung thuc",
            "sao y",
            "ban sao",
            "chu ky",
            "photo cong chung",
            "di chuc",
            "tu choi nhan di san",
            "phan chia di san",
        ),
        ("chung thuc", "ban sao"),
    ),
    Situation(
        "Căn cước",
        ("can cuoc", "cccd", "cmnd", "chung minh nhan dan", "chung minh thu"),
        ("can cuoc",),
        entity=True,
    ),
    Situation(
        "Đăng ký xe",
        (
            "dang ky xe",
            "bien so",
            "ca vet",
            "cavet",
            "sang ten xe",
            "xe may",
            "o to",
            "giay dang ky xe",
        ),
        ("dang ky xe", "bien so xe"),
        entity=True,
    ),
    Situation(
        "Hộ nghèo",
        ("ho ngheo", "can ngheo", "thoat ngheo", "so ho ngheo"),
        ("ho ngheo", "can ngheo"),
    ),
    Situation(
        "Bảo hiểm xã hội",
        (
            "thai san",
            "bao hiem xa hoi",
            "bhxh",
            "rut bao hiem",
            "om dau",
            "luong huu",
            "huu tri",
            "nghi sinh",
        ),
        ("bao hiem xa hoi", "bhxh", "thai san", "luong huu", "om dau"),
    ),
    Situation(
        "Bảo hiểm y tế",
        ("the bao hiem y te", "bao hiem y te", "bhyt", "the bhyt"),
        ("bao hiem y te", "bhyt"),
    ),
    Situation(
        "Hộ chiếu, xuất nhập cảnh",
        ("ho chieu", "passport", "xuat canh", "giay thong hanh"),
        ("ho chieu", "xuat nhap canh", "giay thong hanh", "xuat canh"),
        entity=True,
    ),
)
