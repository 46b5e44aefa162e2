"""Question understanding: what is asked (intent), about where and when, and whether the
request is one the product must refuse (personal data, attempts to steer the assistant).

Everything is matched on the folded question, so `ai chu tri` works like `ai chủ trì`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from corpus.vocabulary import NOT_PLACE_NAMES, QUESTION_FRAME_WORDS
from ingest.textnorm import fold, has_diacritics, normalize
from retriever import segment
from service.answer import places
from retriever.lexicon import Lexicon
from retriever.scope import Scope
from retriever.search import Filters

INTENTS = ("who", "when", "how_much", "yes_no", "list", "what")

_INTENT_PATTERNS = {
    "who": r"\bai\b|co quan nao|don vi nao|phong nao|bo phan nao|chu tri|giao cho ai|do ai|ai lo|"
    r"ai phu trach|theo doi.*nao",
    "when": r"khi nao|bao gio|thoi han|\bhan\b|thoi gian|ngay nao|thang (may|nao)|quy (may|nao)|"
    r"nam nao|truoc ngay|dinh ky|bao lau",
    "how_much": r"bao nhieu|\bmay\b|ty le|phan tram|so luong|toi thieu|it nhat|muc nao",
    "list": r"gom (nhung )?gi|nhung gi|nhung (nhiem vu|viec|noi dung|muc tieu)|lam gi|"
    r"cac (nhiem vu|muc tieu)|nhiem vu gi|viec gi|noi dung gi",
    "yes_no": r"\bco\b.*\b(khong|chua)\s*\??$|\b(phai|duoc|dung) khong\b|\bkhong\s*\??$",
}
# What a question about a procedure asks for: the field of the record that answers it
# (ingest.procedure.FIELDS), in priority order. Matched on the folded question, on word
# boundaries (`cho so ho khau` is not `hồ sơ`, `lai duoc` is not `ai được`).
PROCEDURE_FIELDS = {
    name: rf"\b(?:{pattern})\b"
    for name, pattern in {
        # First: "trước bao nhiêu ngày", "có cần … đồng ý không" ask for a condition, not the time;
        # so does the asker's age (`mới 17 tuổi có đăng ký kết hôn được không`).
        "conditions": r"dieu kien|yeu cau (gi|(\w+ ){1,4}(the nao|ra sao))|truong hop nao|"
        r"(co )?duoc (lam|dang ky|cap|phep) (khong|ko)|du tuoi|bao nhieu tuoi|"
        r"truoc (bao nhieu|may) (ngay|gio)|bao lau thi (moi )?phai|moi phai|dong y (khong|ko)|"
        r"(co )?duoc huong|(dang ky|lam) lai .{0,30}duoc (khong|ko)|"
        r"(moi|chua du|chua den) \d+ tuoi",
        "about": r"la gi|la giay gi|la cai gi|nghia la gi|khac .{0,30}(cho nao|the nao|gi)",
        "fee": r"bao nhieu tien|mat tien|ton (bao nhieu|tien|phi)|het bao nhieu|"
        # `hỗ trợ (chi) phí bảo hiểm` names the support, not a fee asked about
        r"(?<!chau )(?<!ho tro )phi|le phi|"
        r"(?<!ho tro )chi phi|mien phi|gia bao nhieu|bao nhieu (dong|k|nghin|ngan)|tra tien|"
        r"dong tien|nop tien|may tien|(co|phai) (mat|tra|nop) tien|tinh tien|"
        r"bao nhieu (mot|1) (trang|ban|to|lan)",
        # The asker's own deadline (`phải báo thay đổi trong bao lâu`), not the office's: the
        # steps say it.
        "deadline": r"phai .{0,40}(trong|truoc) (bao lau|bao nhieu ngay|may ngay)|"
        r"han chot|han cuoi|cham nhat|nop( ho so| don)? (khi nao|luc nao)|"
        r"(trong|truoc) (bao lau|bao nhieu ngay|may ngay) (thi )?(moi )?phai",
        "time": r"may ngay|bao lau|bao nhieu ngay|mat (bao lau|may)|thoi han (giai quyet|tra|lam)|"
        r"thoi gian (giai quyet|lam|tra|cho)|may hom|may tuan|lau (khong|qua)|"
        r"bao gio (co|lay|nhan|xong)|khi nao (co|lay|nhan|xong)|lay ngay|trong ngay|het han",
        "online": r"online|onl|truc tuyen|qua mang|tren mang|dich vu cong|vneid|qua app|ung dung|"
        r"tai nha|khong (can|phai) den|buu dien|buu chinh|tren dien thoai|qua dien thoai|internet",
        # Before the dossier: `nộp hồ sơ ở đâu`, `xin bản sao ở đâu` ask where, the papers being
        # only the object.
        "where": r"o dau|nop (ho so )?(o|tai)|o .{0,30} hay o|noi nao|cho nao|den dau|di dau|"
        r"(xuong|den|len|toi) (tan )?nha|"
        r"tai dau|ra dau|co quan nao(?! (cap|giai quyet|co (tham )?quyen|quyet dinh|duyet|ky))|"
        r"lam o|nop o|phong nao|ben nao|xa nao|phuong nao",
        # Before the dossier: `làm xong được giấy gì` asks for the result, not the papers.
        "result": r"(duoc|nhan|cap|lay) (duoc )?(lai )?(giay|van ban|quyet dinh) (gi|nao)|"
        r"(lam|giai quyet) xong .{0,20}(duoc|nhan|co) gi|bang (giay|van ban) (gi|nao)|"
        r"(duoc )?nhan (duoc )?(nhung )?(gi|cai gi|giay gi|giay( \w+){0,3} nao)|ket qua|"
        r"duoc cap (gi|giay gi)|cap giay gi|lay (duoc )?gi|"
        # `xã cấp cho tôi giấy gì`, `công an đưa lại giấy gì`, `nhận lại được gì`: what the
        # office gives, not what the asker brings (`mang`, `nộp`, `cần` … giấy gì).
        r"(cap|nhan|lay|dua|tra|gui|ra)(?: (?!can|mang|chuan|nop|gom|phai)\w+){0,3} "
        r"(giay|giay to|van ban|quyet dinh|cai) (gi|nao)|(nhan|lay) lai (duoc )?(gi|cai gi)|"
        r"xong (roi |thi )?(\w+ ){0,4}(nhan|duoc|co|cap|dua) (lai )?(duoc )?(gi|cai gi)|"
        # `đăng ký xong có được cấp sổ không`, `được nhận những khoản gì`
        r"(duoc|co) cap (lai )?(so|giay|the)( \w+){0,6} (khong|ko)|nhung khoan (tien )?gi|"
        r"cap (\w+ ){0,3}theo mau (gi|nao)",
        "authority": r"ai (la nguoi )?(quyet dinh|ky|duyet|phe duyet|cong nhan|cap giay)|"
        r"co quan nao (cap|giai quyet|quyet dinh|duyet|ky)|do ai (chung thuc|cap|ky|duyet)|"
        r"cap nao (duyet|quyet dinh|ky|cap)|(co quan|ai) .{0,20}co (quyen|tham quyen)|"
        r"(xa|ubnd) co (quyen|duoc) (duyet|quyet dinh|cap)",
        "dossier": r"giay to|ho so|can (nhung |mang |chuan bi )?(gi|nhung gi)|"
        r"(nhung |mang |nop )?giay (gi|nao)|(viet|lam|nop) (mot |1 )?(to khai|don)|"
        r"mang (theo )?(gi|nhung gi)|chuan bi (gi|nhung gi)|can nhung|phai nop (gi|nhung)|to khai|"
        r"mau don|ban sao|ban chinh|can co gi|"
        r"(can|phai)( co| nop| mang| them)* (giay|chung cu|bang chung)( \w+){0,4} gi|"
        # `có phải nộp bản án ly hôn không`: whether a paper is among those to bring
        r"(co )?phai (nop|mang|xuat trinh|kem|lam van ban)( \w+){1,8} (khong|ko)",
        "steps": r"(cac|nhung) buoc|buoc nao|sau do .{0,30}(lam|xu ly) (gi|nhung gi)|"
        r"trinh tu|quy trinh|(lam|the) (the nao|sao|ra sao|nhu the nao)|"
        r"cach (lam|dang ky|xin)|huong dan|thu tuc (the nao|ra sao|gi)",
        # `có phải đăng ký … không`: whether the asker is among those who must.
        "applicants": r"ai (thi )?(duoc|co the|phai|di|lam|nop|dung ten)|"
        r"\b(ong|ba|bo|me|con|vo|chong|anh|chi|em|nguoi nha|nguoi than)( \w+){0,3} "
        r"(co )?(duoc|the) (di |tu )?(lam|nop|khai|dang ky|mang)( \w+){0,6} (khong|ko)\b|"
        r"co phai (di )?(dang ky|bao|khai bao|lam|xin) .{0,40}(khong|ko)|doi tuong|nguoi nao|"
        r"lam (ho|thay)|uy quyen|nho (nguoi|ai)|danh cho ai|dung ten|"
        r"dung ra (xin|lam|nop|dang ky)|ca nhan .{0,40}(hay|hoac) .{0,20}to chuc",
        "legal_basis": r"can cu|luat nao|van ban nao|quy dinh (nao|o dau|tai dau)|nghi dinh|"
        r"thong tu|theo luat",
    }.items()
}
_INJECTION = re.compile(
    r"bo qua|ignore|disregard|(?<!nguoi )(?<!ban )(?<!nha )quen (het|di|moi|cac)|system prompt|"
    r"\bprompt\b|api.?key|mat khau|"
    r"password|cau hinh|configuration|jailbreak|dong vai|gia vo|tu bay gio|ban la mot|you are now|"
    r"tiet lo|reveal|chi thi (truoc|he thong)|huong dan (truoc|he thong)|previous instructions|"
    r"developer mode|che do nha phat trien"
)
_PERSONAL_DATA = re.compile(
    r"so dien thoai|\bsdt\b|\bdien thoai\b|cccd|cmnd|can cuoc|chung minh nhan dan|dia chi|"
    r"nha rieng|\bnha\b.* o dau|\bemail\b|thu dien tu|ngay sinh|sinh nam nao|que quan|"
    r"(muc|tien|bang) luong|(?<!chat )luong (thang|bao nhieu|cua)|thu nhap|suc khoe|benh an|"
    r"tai khoan ngan hang|danh sach (ho ten|nguoi)"
)
# Someone looked up by a citizen-ID or phone number (9–12 digits): whose it is, where they live.
_NUMBER = re.compile(r"\b\d(?:[ .-]?\d){8,11}\b")  # `0912 345 678` too
_LOOKUP = re.compile(
    r"cua ai|la ai|ten (gi|la|voi)|dia chi|o dau|tra (cuu|giup)|tim (nguoi|giup|ra)"
)
# A list of people with their contacts (`danh sách tên với số điện thoại những người nộp …`).
_PEOPLE_LIST = re.compile(
    r"danh sach .{0,30}(so dien thoai|sdt|dia chi|ho ten)|"
    r"\b(ten|ho ten) (va|voi) (so dien thoai|sdt|dia chi)"
)
# Someone's contact asked for (`cho tôi xin số điện thoại và địa chỉ nhà của chị hàng xóm`);
# an office's (`số điện thoại của bộ phận một cửa`) is no person's.
_CONTACT = re.compile(
    r"(cho|xin|biet|tim|tra|hoi) .{0,20}(so dien thoai|sdt|dia chi nha|dia chi|nha o)"
    r"( va [a-z ]{0,20})? (cua|nha) (chi|anh|ong|ba|co|chu|bac|di|nguoi|ban|thang|con|em)\b"
)
# Questions no procedure record answers, by kind: market prices, medical advice, winning a
# private lawsuit, another country's visa, opinions on officials, small talk, gossip. Refused
# as such, not answered from the passage that shares a word (`đất`, `giấy tờ`). Folded.
OUT_OF_SCOPE = {
    "price": r"\bgia (vang|dat|nha|xang|dau|lua|gao|heo|lon|thit|ca phe|co phieu|thi truong)\b|"
    r"ty gia|lai suat|co phieu|chung khoan|bao nhieu (1|mot) (m2|met vuong|met|chi|luong|kg)\b",
    "medical": r"\buong thuoc|\bthuoc (gi|nao)\b|\bbi sot\b|\bsot \d|\bchua (khoi|dut)\b(?! cong)|"
    r"\bdau (bung|da day|rang|lung|hong)\b",
    "lawsuit": r"thang kien|khoi kien|\bra toa\b|hau toa|tranh tung|"
    r"\b(di|dang|muon) kien\b|\bkien (cao|tung|nhau|doi)\b",
    # Another country's procedure (`phía Hàn yêu cầu giấy tờ gì`, `Cục Xuất nhập cảnh Hàn
    # Quốc`), not a Vietnamese one with a foreign element (`kết hôn với người Hàn Quốc`).
    "foreign": r"\bvisa\b|thi thuc|lanh su|dai su quan|"
    r"\b(phia|ben|chinh phu|co quan|cuc xuat nhap canh) (han|nhat|my|uc|dai loan|trung|lao|thai"
    r"|campuchia|duc|phap|canada|singapore|nuoc ngoai|nuoc ban|nuoc do|nuoc ho)\b"
    r".{0,40}\b(yeu cau|doi hoi|quy dinh)\b",
    # Falsifying a record or paying an official off (`ghi lùi ngày sinh`, `sẵn sàng bồi dưỡng`).
    "fraud": r"ghi lui (ngay|nam|thang) sinh|\b(lui|tang|bot|sua) tuoi (de|cho)\b|"
    r"(san sang|se) boi duong\b|boi duong (cho )?(anh chi|anh|chi|ong|ba|chut|it)\b|"
    r"hoi lo|dut lot|lot tay|phong bi|gia mao|lam (gia|gian) (giay|so|bang|con dau|ho so|chu ky)|"
    r"\bchay (so|giay|viec|ho so)\b",
    "opinion": r"(co )?nen bau|bau (lai|cho)|bo phieu|danh gia (ong|ba|chu tich)|tham nhung|"
    r"lam viec (co )?(tot|te|kem)|chinh tri|"
    r"(sap nhap|chinh sach|nha nuoc|chinh quyen|bau cu).{0,60}(dung hay sai|tot hay xau)",
    # Lottery numbers, horoscopes, dreams and lucky days.
    "fortune": r"\b(danh|choi) (de|lo)\b|\bmua so de\b|\bso de con\b|xem tuoi|hop tuoi|"
    r"\btuoi (suu|thin|ngo|mui|tuat)\b|phong thuy|\bboi (bai|toan)\b|"
    r"giai mong|\bmo thay\b|\b(so|con so) (dep|may man|hen)\b|ngay (tot|dep) (de|ma)\b|"
    r"nam (nay|sau) .{0,20}(may man|xui)",
    "chitchat": r"thoi tiet|\bti so\b|bong da|\bda (voi|bong)\b|cach nau|mon (an )?ngon|"
    r"bai (tho|hat|van)|ke chuyen|\bxo so\b",
    # Whole words only, and not the everyday phrases that fold alike: `xác nhận tình trạng
    # hôn nhân` (not `nhân tình`), `thay đổi từ` (not `đời tư`), `con trưởng` (the eldest),
    # `vợ bế con`.
    "gossip": r"\b(vo|chong|con|nguoi yeu|bo|me) (cua )?(ong |ba )?"
    r"(chu tich|bi thu|truong (thon|ap|ban|cong an|phong))\b|"
    r"\bngoai tinh\b|\bdoi tu (cua|rieng)\b|\bvo be\b(?! (con|chau|em))|\bbo nhi\b|"
    r"giau (co|den muc|the) nao|"
    r"(nhan|an) (tien|hoi lo) cua (dan|nguoi ta)|"
    r"dinh (toi|den|vao) vu|"
    r"(nghe don|tin don).{0,60}(chu tich|bi thu|can bo|truong (thon|ap|ban))",
}
_OUT_OF_SCOPE = re.compile("|".join(f"(?:{p})" for p in OUT_OF_SCOPE.values()))
# A named or titled person: checked on the text as typed (capitals), since folded `chu`,
# `co`, `ba` are also ordinary words (`chủ trì`, `có`, `ba`).
_PERSON = re.compile(
    r"\b(?:ông|bà|anh|chị|cô|chú|bác|ong|ba|anh|chi)\s+[A-ZĐ]|[Cc]hủ tịch|[Cc]hu tich|cán bộ|"
    r"can bo|công chức|cong chuc|người dân|nguoi dan|"
    r"[A-ZĐ][a-zà-ỹ]+\s+[A-ZĐ][a-zà-ỹ]+\s+[A-ZĐ][a-zà-ỹ]+"
)
# `đòi` (demand) folds like `đổi` (change, renew): said as what it means before folding.
_DEMAND = re.compile(r"\b[đĐ]òi\b")
_YEAR = re.compile(r"(?:nam|giai doan|den|tu)\s+((?:19|20)\d\d)\b")
_PLACE = re.compile(r"\b(xa|phuong|thi tran)\s+([a-z]+(?:\s+[a-z]+)?)")
_PLACE_CAPS = re.compile(
    r"\b(?:xã|phường|thị trấn|xa|phuong)\s+([A-ZĐ][\wÀ-ỹ]*(?:\s+[A-ZĐ][\wÀ-ỹ]*){0,2})"
)


@dataclass(frozen=True)
class Question:
    text: str
    folded: str
    intents: tuple[str, ...]
    communes: tuple[str, ...] = ()  # folded names of corpus communes the question names
    unknown_place: str | None = None  # a commune/ward named that the corpus does not have
    years: tuple[int, ...] = ()
    refusal: str | None = None  # "injection" | "personal_data" | "out_of_scope"
    # Procedure fields asked for (PROCEDURE_FIELDS), most specific first.
    fields: tuple[str, ...] = ()
    # Filled in by `Reader.read` (what the index and the request add to the text):
    raw: str = ""  # as typed (or as a follow-up was rewritten), before normalising
    k: int = 5  # passages the asker wants cited at most
    given: Filters | None = None  # the asker's own filters (commune, kind, year)
    words: Words | None = None  # its content words
    expanded: str = ""  # the text with the lexicon's wordings of its everyday phrases
    wordings: tuple[Words, ...] = ()  # the content words of each of those wordings
    lexicon_hit: bool = False  # it uses a phrase the lexicon knows
    # The text without the units it names (`xã Tân Phú`, `tỉnh Đồng Nai`: service.answer
    # .places) and its years: what a question about a national procedure is about.
    topic: str = ""

    @property
    def intent(self) -> str:
        return self.intents[0]

    @property
    def commune_given(self) -> str | None:
        return self.given.commune if self.given else None


@dataclass(frozen=True)
class Words:
    """A text's content words (what it is about, in order, without the words every question
    shares), in the view that fits it: syllables with their diacritics for a text typed with
    them, folded syllables otherwise (folded, `thuốc` meets `thuộc` and `đau` meets `đầu`)."""

    view: str  # "syllables" | "folded"
    content: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> Words:
        view = "syllables" if has_diacritics(text) else "folded"
        plain = [t for t in cls.split(view, text) if "_" not in t]
        content = [
            t
            for t in dict.fromkeys(plain)
            if fold(t) not in QUESTION_FRAME_WORDS and not t.isdigit()
        ]
        return cls(view, tuple(content))

    @staticmethod
    def split(view: str, text: str) -> list[str]:
        """`text` in the tokens of `view`."""
        return segment.syllables(text) if view == "syllables" else segment.folded(text)

    def tokens(self, text: str) -> list[str]:
        return self.split(self.view, text)


@dataclass(frozen=True)
class Reader:
    """Reads a question once, with what the loaded index knows: the communes each scope's
    documents cover, its phrases (to tell `xã hội` from `xã Hòa An`) and the lexicon of
    everyday wording."""

    communes: Mapping[Scope, list[str]]
    phrases: frozenset[str]
    lexicon: Lexicon

    def read(
        self, text: str, k: int = 5, given: Filters | None = None, scope: Scope = Scope.PUBLIC
    ) -> Question:
        q = understand(text, self.communes[scope], self.phrases)
        wordings = self.lexicon.expansions(q.text)
        return replace(
            q,
            raw=text,
            k=k,
            given=given,
            words=Words.of(q.text),
            expanded=self.lexicon.expand(q.text),
            wordings=tuple(Words.of(normalize(w).strip()) for w in wordings),
            lexicon_hit=bool(self.lexicon.matches(q.text)),
        )


def understand(
    text: str, known_communes: list[str], phrase_vocab: set[str] | frozenset[str]
) -> Question:
    """Read a question. `known_communes` are folded corpus communes; `phrase_vocab` holds the
    folded bigrams of the corpus, used to tell `xã hội` (a word) from `xã Hòa An` (a place)."""
    text = normalize(text).strip()
    folded = " ".join(re.findall(r"\w+|[%?]", fold(_DEMAND.sub("yêu cầu", text))))
    intents = tuple(
        name for name, pattern in _INTENT_PATTERNS.items() if re.search(pattern, folded)
    ) or ("what",)
    padded = f" {folded} "
    communes = tuple(c for c in known_communes if f" {c} " in padded)
    years = tuple(sorted({int(y) for y in _YEAR.findall(folded)}))
    refusal = None
    if _INJECTION.search(folded):
        refusal = "injection"
    elif (
        (_PERSONAL_DATA.search(folded) and _PERSON.search(text))
        or (_NUMBER.search(folded) and _LOOKUP.search(folded))
        or _PEOPLE_LIST.search(folded)
        or _CONTACT.search(folded)
    ):
        refusal = "personal_data"
    elif _OUT_OF_SCOPE.search(folded):
        refusal = "out_of_scope"
    fields = tuple(name for name, pattern in PROCEDURE_FIELDS.items() if re.search(pattern, folded))
    named = places.mentions(folded)
    return Question(
        text,
        folded,
        intents,
        communes,
        _unknown_place(text, folded, communes, known_communes, phrase_vocab),
        years,
        refusal,
        fields,
        topic=_set_aside(text, [*named, *(f"nam {y}" for y in years)]),
    )


def _set_aside(text: str, spans: list[str]) -> str:
    """`text` without the words of `spans` (folded word sequences), punctuation kept."""
    words = text.split()
    folded = [re.sub(r"\W", "", fold(w)) for w in words]
    for span in spans:
        parts = span.split()
        for i in range(len(words) - len(parts) + 1):
            if folded[i : i + len(parts)] == parts:
                for j in range(i, i + len(parts)):
                    words[j], folded[j] = re.sub(r"\w", "", words[j]), ""
    return " ".join(w for w in words if w)


def _unknown_place(
    text: str,
    folded: str,
    communes: tuple,
    known: list[str],
    phrase_vocab: set[str] | frozenset[str],
) -> str | None:
    if communes:
        return None
    for match in _PLACE_CAPS.finditer(text):
        name = fold(match.group(1))
        if not any(name.startswith(k) or k.startswith(name) for k in known):
            return match.group(0)
    # On the folded text with its punctuation: in `ở xã, giờ mất bản` no name follows `xã`.
    for match in _PLACE.finditer(re.sub(r"\s+", " ", fold(text).lower())):
        kind, name = match.group(1), match.group(2)
        words = name.split()
        if len(words) < 2 or words[0] in NOT_PLACE_NAMES or f"{kind}_{words[0]}" in phrase_vocab:
            continue  # `xã hội`, `xã có`: ordinary words the plans use after `xã`
        return f"{kind} {name}"
    return None
