"""Follow-up questions read with the conversation (service/conversation.py): pure rules fast,
and the issue's example (`còn lệ phí thì sao?` after a birth-registration question) on the
real engine, slow."""

from __future__ import annotations

import pytest

from ingest.textnorm import fold
from service.conversation import Conversations, Turn, is_follow_up, resolve

BIRTH = Turn("làm giấy khai sinh cần giấy tờ gì", "…", procedure="Đăng ký khai sinh")
DUTY = Turn("ai chủ trì số hóa hồ sơ ở Dân Hòa?", "…", topic="số hóa hồ sơ ở Dân Hòa")


@pytest.mark.parametrize(
    "question",
    [
        "còn lệ phí thì sao?",
        "con le phi thi sao",
        "thế còn làm online được không?",
        "mất bao lâu?",
        "nộp ở đâu",
        "vậy cần mang gì",
        "thủ tục đó mất bao nhiêu tiền?",
    ],
)
def test_follow_ups_are_recognised(question):
    assert is_follow_up(question)


@pytest.mark.parametrize(
    "question",
    [
        "lệ phí đăng ký kết hôn là bao nhiêu",
        "đăng ký tạm trú cần những giấy tờ gì",
        "chứng thực bản sao ở đâu được làm",
    ],
)
def test_questions_with_their_own_subject_are_not_follow_ups(question):
    assert not is_follow_up(question)
    assert resolve(question, BIRTH) == question


def test_a_follow_up_takes_the_procedure_of_the_previous_answer():
    assert resolve("còn lệ phí thì sao?", BIRTH) == "lệ phí Đăng ký khai sinh?"
    assert resolve("mất bao lâu?", BIRTH) == "mất bao lâu Đăng ký khai sinh?"


def test_a_follow_up_after_a_plan_answer_takes_its_topic_and_may_change_commune():
    assert resolve("thế còn hạn chót khi nào?", DUTY) == "hạn chót khi nào số hóa hồ sơ ở Dân Hòa?"

    def named(text: str) -> list[str]:
        return [c for c in ("dan hoa", "duc an") if c in fold(text)]

    assert resolve("còn Đức An thì sao?", DUTY, named) == "Đức An số hóa hồ sơ?"


def test_no_history_or_no_subject_leaves_the_question_alone():
    assert resolve("còn lệ phí thì sao?", None) == "còn lệ phí thì sao?"
    assert resolve("mất bao lâu?", Turn("xin chào", "…")) == "mất bao lâu?"


def test_conversations_forget_after_their_time_and_on_request():
    now = [0.0]
    conversations = Conversations(ttl=60, clock=lambda: now[0])
    conversations.add("s1", BIRTH)
    assert conversations.history("s1") == [BIRTH]
    now[0] = 61
    assert conversations.history("s1") == []
    conversations.add("s2", BIRTH)
    conversations.forget("s2")
    assert conversations.history("s2") == []


@pytest.mark.slow
def test_fee_follow_up_answers_the_fee_of_the_procedure_asked_before(real_engine):
    first = real_engine.ask("làm giấy khai sinh cần giấy tờ gì")
    follow = real_engine.ask("còn lệ phí thì sao?", session_id=first.session_id)

    assert not follow.abstained and follow.answerer == "procedure"
    assert follow.understood_as and "khai sinh" in follow.understood_as.lower()
    assert "Phí, lệ phí" in follow.answer
    assert all("khai sinh" in c["title"].lower() for c in follow.citations)
    other = real_engine.ask("còn lệ phí thì sao?")  # a new conversation: nothing to follow
    assert other.understood_as is None
