from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "apps.feedback"
    label = "feedback"
    verbose_name = "Customer feedback"

    def ready(self) -> None:
        from apps.cases import events

        from .case_events import cases_changed, risk_cases_changed

        # In the transaction: the survey of a solved case is written with the solve.
        events.subscribe(cases_changed, in_transaction=True)
        # After commit: the requester's at-risk score, by a task.
        events.subscribe(risk_cases_changed)
