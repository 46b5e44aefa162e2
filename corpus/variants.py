"""Variants of a procedure: the national catalogue names one matter several times, by what is
done to it (`Đăng ký kết hôn`, `Đăng ký lại kết hôn`; `Cấp thẻ căn cước`, `Cấp đổi thẻ căn
cước`, `Cấp lại thẻ căn cước`), by how (`… lưu động`, `… trực tuyến toàn trình`) or for whom
(`… có yếu tố nước ngoài`, `… cho người dưới 14 tuổi`). A citizen never says the variant's
word; they say what happened (`giấy bị mối ăn mất`, `thẻ hết hạn`, `ghi sai quê quán`).

Each variant: the words of a procedure's name that make it one (`title`: a folded regular
expression; `lead` ones must open the name, after `Thủ tục`, `Đăng ký`, `Cấp`…, because
`Cấp, cấp lại …` and `Đăng ký, đăng ký lại …` cover the plain case too), the everyday words
that ask for it (`cues`, folded, matched on word boundaries), and whether a name with it counts
against a question that says none of them (`penalise`: a name saying `lần đầu` is usually the
plain case, so it does not).

Written from the commune-level procedure names of the portal
(`../shared/data/dvcqg-procedures`) and the words people use for what happened to a paper,
not from the evaluation questions. Ages (`dưới 14 tuổi`, `từ đủ 14 tuổi trở lên`) are
compared with the age a question gives in service/answer/variants.py.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Variant:
    kind: str
    title: str
    cues: str
    lead: bool = True
    penalise: bool = True


_LOST = (
    r"(bi|lam|danh|da|lo|roi) (mat|that lac|roi mat)|that lac|mat (het|giay|ban|so|the|cavet"
    r"|ca vet|bang|hop dong|bien|quyet dinh)|(chay|moi xong|nuoc cuon|troi|ngap) (mat|het|hu)"
    r"|moi an|lu cuon|cuon troi|khong con (luu|giu|ban|so|nua)|khong (tim|thay) (dau|duoc)"
    r"|lam lai|xin lai|cap lai|dang ky lai|khai lai|ky lai"
)
_WORN = (
    r"cap doi|doi (sang )?(the|can cuoc|cccd|cmnd|bien|cavet|ca vet|giay|so|mau) ?(moi|khac)?"
    r"|het han|qua han|hu hong|bi hong|hong (roi|het|nat)|rach|mo (het|chu)|bong troc|nhoe"
    r"|cu (qua|nat)|doi (sang )?moi"
)
_CHANGED = (
    r"(ghi|viet|bi|in|nhap|danh|khai) (sai|nham)"
    r"|sai (ten|ho(?! so)|ngay|nam|que|thong tin|so|dia chi|dan toc|gioi tinh|chinh ta|dau"
    r"|sot|lech|noi dung)|nham (ten|ho(?! so)|ngay|nam)"
    r"|sua (lai|doi|ten|ho(?! so)|thong tin|cho dung|noi dung|gia|ngay)|(muon|xin|can|de|phai) sua"
    r"|thay doi|doi (ten|ho(?! so)|dia chi|nganh|que|noi|chu|ngay|thong tin|tru so|nghe|mat hang)"
    r"|cai chinh|bo sung (thong tin|ten|ho(?! so)|ngay|noi dung|dan toc|que)|cap nhat|dieu chinh"
    r"|dinh chinh|ghi thieu|thieu (thong tin|chu|ten)"
    r"|xac dinh lai|huy (bo|hop dong|giao dich)|(muon|xin|de|can|phai) huy"
)

VARIANTS = (
    Variant("again", r"dang ky lai|cap lai|lai", _LOST),
    # Worn or expired asks for a new card; a changed detail (`đổi địa chỉ`) asks for a change,
    # not `Cấp lại, cấp đổi Giấy chứng nhận đăng ký hộ kinh doanh` (session 4: A–F right
    # procedure 315 → 317 of 372, catalogue sets unchanged).
    Variant("renew", r"cap doi|doi", _WORN),
    Variant(
        "extend", r"gia han", r"gia han|het han|keo dai|o them|them (thoi gian|thoi han|\d+ thang)"
    ),
    Variant(
        "withdraw",
        r"thu hoi|xoa",
        r"thu hoi|nop lai|tra lai (bien|cavet|ca vet|giay)|ban (sat|phe) vun|thanh ly|pha do"
        r"|khong (dung|chay|su dung|di) (nua|duoc nua)|xoa|cat (ho )?khau|chuyen (khau|di noi khac)"
        r"|qua doi|tu tran",
    ),
    Variant(
        "close",
        r"cham dut",
        r"cham dut|thoi (kinh doanh|ban|lam|giam ho)|nghi (ban|kinh doanh) (han|luon)|nghi han"
        r"|dong cua|giai the|dung (kinh doanh|ban|hoat dong) (han|luon)|khong (lam|muon lam)"
        r" (nua|giam ho)|khong (kinh doanh|ban) nua",
    ),
    Variant(
        "pause",
        r"tam ngung",
        r"tam ngung|tam nghi|tam dung"
        r"|nghi (ban|kinh doanh)? ?(\d+|mot|hai|ba|vai) (ngay|tuan|thang)|nghi mot thoi gian"
        r"|mo (cua|ban) lai|kinh doanh lai|ban lai",
    ),
    Variant(
        "withdraw_application",
        r"dung thuc hien",
        r"rut (lai )?ho so|dung (thuc hien|lam|giai quyet) (thu tuc|ho so)"
        r"|khong muon (dang ky|lam) nua",
    ),
    Variant(
        "change",
        r"thay doi|cai chinh|dieu chinh|dinh chinh|sua doi|sua loi|tich hop",
        _CHANGED,
    ),
    Variant(
        "mobile",
        r"luu dong",
        r"luu dong|(tai|den|toi|xuong) (tan )?nha|xuong tan noi|om (nang|liet|yeu|nam)|liet giuong"
        r"|khong (tu )?di (lai )?duoc|khong the di|nam vien|gia yeu|can bo (xuong|den|toi)",
        lead=False,
    ),
    Variant(
        "foreign",
        r"yeu to nuoc ngoai|nguoi nuoc ngoai|nuoc ngoai",
        r"nuoc ngoai|ngoai quoc|viet kieu|quoc tich|dinh cu|xuat khau lao dong|(nguoi|chong|vo)"
        r" (han|trung|nhat|dai loan|lao|campuchia|thai|uc|duc|nga|singapore|philippines)|nguoi my",
        lead=False,
    ),
    Variant("border", r"khu vuc bien gioi|vung bien gioi|bien gioi", r"bien gioi", lead=False),
    Variant(
        "fully_online",
        r"toan trinh",
        r"toan trinh|hoan toan (online|truc tuyen|tren mang|qua mang)|khong (can|phai) (den|len|ra)"
        r" (tan noi|co quan|cong an|xa|phuong)",
        lead=False,
    ),
    # The inter-linked bundles (`Liên thông đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo
    # hiểm y tế …`): a bundle whose parts the question does not speak of is not the one asked
    # for (a lost health-insurance card is not a newborn's bundle; `khai sinh và thẻ BHYT`
    # is the bundle without residence); `liên thông` alone asks for any of them.
    Variant(
        "bundle_residence",
        r"lien thong .{0,60}dang ky thuong tru",
        r"thuong tru|ho khau|nhap khau|cat khau|xoa khau|chuyen khau|nhap ho|hk|lien thong",
        lead=False,
    ),
    Variant("bundle_birth", r"lien thong .{0,60}khai sinh", r"khai sinh|lien thong", lead=False),
    # The poor-household lists are reviewed once a year (`định kỳ`) and between reviews
    # (`thường xuyên`): `giữa năm`, `đột xuất` ask for the second, `cuối năm`, `rà soát` for
    # the first.
    Variant(
        "ongoing",
        r"thuong xuyen",
        r"giua nam|dot xuat|phat sinh|bat ky luc nao|thuong xuyen",
        lead=False,
        penalise=False,
    ),
    Variant(
        "periodic", r"dinh ky", r"cuoi nam|ra soat|dinh ky|dau nam", lead=False, penalise=False
    ),
    # A matter that happens again (`… đã bị TNLĐ, BNN nay tiếp tục bị TNLĐ hoặc BNN`, `…
    # thương tật, bệnh tật tái phát`) is not the first time unless the question says so.
    Variant(
        "recurrent",
        r"nay tiep tuc bi|tai phat",
        r"lai bi|tiep tuc bi|bi (them|lan nua|nua)|lan (thu )?(hai|2|ba|3)|tai phat|tai di",
        lead=False,
    ),
    # Procedures for one group of people (`… cho lực lượng xung kích phòng chống thiên tai`,
    # `… đối với cán bộ xã`, `… người tham gia lực lượng bảo vệ an ninh, trật tự ở cơ sở`): a
    # question that does not speak of the group is not about them.
    Variant(
        "shock_force",
        r"luc luong xung kich",
        r"xung kich|phong chong thien tai|chong bao|chong lu|cuu ho|cuu nan",
        lead=False,
    ),
    Variant(
        "security_force",
        r"luc luong tham gia bao ve an ninh",
        r"an ninh trat tu|bao ve an ninh|to bao ve|dan phong|bao ve dan pho|cong an vien",
        lead=False,
    ),
    Variant(
        "commune_staff",
        r"doi voi can bo xa|cho can bo, cong chuc",
        r"(la|lam) (can bo|cong chuc)|can bo xa|cong chuc xa|chu tich xa|pho chu tich|bi thu",
        lead=False,
    ),
    # `… quà tặng là các tài sản khác phải đăng ký quyền sở hữu, không phải là bất động sản`
    # is for a car, a boat, shares, not the family's house or land.
    Variant(
        "not_real_estate",
        r"khong phai la bat dong san",
        r"o to|xe (may|hoi|con|tai)|tau|thuyen|co phieu|chung khoan|von gop|tai san khac",
        lead=False,
    ),
    # Recognising a parent or a child (`Đăng ký nhận cha, mẹ, con`, and `Đăng ký khai sinh
    # kết hợp đăng ký nhận cha, mẹ, con` for a child not yet registered): a question about the
    # father's name missing from the birth certificate is not the plain birth registration.
    Variant(
        "recognition",
        r"nhan cha, me, con",
        r"nhan (con|cha|bo|ba|me)\b|(ten|phan|muc) (cha|bo|ba)\b|(chi|moi) co ten me"
        r"|con (rieng|ruot)|ngoai gia thu|xet nghiem adn"
        r"|(chua|khong) (dang ky ket hon|cuoi|ket hon)\b.{0,40}\bcon",
        lead=False,
    ),
    Variant(
        "combined",
        r"khai sinh ket hop",
        r"khai sinh\b.{0,30}\b(va|dong thoi|luon|cung luc|cung mot luc|ket hop)\b.{0,15}nhan"
        r"|(mot lan|cung luc|dong thoi)\b.{0,30}\bkhai sinh|ket hop",
        lead=False,
    ),
    Variant(
        "first",
        r"lan dau",
        r"lan dau|moi mua|moi (dong|dong xong|xay|lam)|chua (tung|bao gio|co) (dang ky|cap|co so)"
        r"|chua chay",
        lead=False,
        penalise=False,
    ),
)
