"""A chat whose case is solved while it is open gets its satisfaction survey in the window
(apps/feedback): the poll gives the widget the survey's links, so it can draw the prompt —
in the log, and again on the screen shown once the chat has ended."""

import pytest

from apps.cases import services as case_services
from apps.chat.models import ChatSession
from apps.feedback import links
from apps.feedback.models import Survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def solved_chat(start_chat, agent, django_capture_on_commit_callbacks, settings):
    settings.CXDESK_CSAT_CHAT_DELAY_MINUTES = 0
    chat = start_chat()
    case_id = ChatSession.objects.get(pk=chat.id).case_id
    with django_capture_on_commit_callbacks(execute=True):
        case_services.case_reply(case_id=case_id, agent=agent, body_text="Found it: tomorrow.")
    with django_capture_on_commit_callbacks(execute=True):
        case_services.case_transition(case_id=case_id, to="solved", actor=agent)
    return chat, Survey.objects.get(case_id=case_id)


def test_the_poll_carries_the_survey_links(solved_chat):
    chat, survey = solved_chat
    assert (survey.state, survey.channel) == ("sent", "chat")
    messages = chat.poll().json()["messages"]
    *earlier, last = messages
    url = links.survey_url(survey.pk)
    assert last["sender"] == "system"
    assert last["survey"] == {
        "url": url,
        "opt_out_url": links.opt_out_url(survey.pk),
        "good_url": url + "?rating=good",
        "bad_url": url + "?rating=bad",
    }
    assert all(m["survey"] is None for m in earlier)  # the customer's and the agent's


def test_the_prompt_is_still_there_after_the_chat_ended(solved_chat):
    chat, survey = solved_chat
    assert chat.end().status_code == 200
    body = chat.poll().json()
    assert body["session"]["status"] == "ended"
    assert body["messages"][-1]["survey"]["url"] == links.survey_url(survey.pk)


def test_a_five_point_survey_has_one_link(
    start_chat, agent, django_capture_on_commit_callbacks, settings
):
    settings.CXDESK_CSAT_SCALE = "five"
    chat = start_chat()
    case_id = ChatSession.objects.get(pk=chat.id).case_id
    with django_capture_on_commit_callbacks(execute=True):
        case_services.case_reply(case_id=case_id, agent=agent, body_text="Done.")
    with django_capture_on_commit_callbacks(execute=True):
        case_services.case_transition(case_id=case_id, to="solved", actor=agent)
    prompt = chat.poll().json()["messages"][-1]["survey"]
    assert set(prompt) == {"url", "opt_out_url"}


def test_the_poll_costs_no_more_queries_for_it(solved_chat, django_assert_max_num_queries):
    chat, _ = solved_chat
    with django_assert_max_num_queries(2):
        chat.poll()
