"""`manage.py rootcause_train`: train the suggestion model from the tagged cases now (beat
does it every CXDESK_ROOTCAUSE_TRAIN_SECONDS), then enqueue the open cases to suggest."""

from django.core.management.base import BaseCommand, CommandParser

from apps.rootcauses import services


class Command(BaseCommand):
    help = "Train the root-cause suggestion model from the cases tagged with a root cause."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--min-cases",
            type=int,
            default=None,
            help="Train from this many tagged cases on "
            "(default: CXDESK_ROOTCAUSE_MIN_TRAINING_CASES)",
        )

    def handle(self, *args, **options) -> None:
        model = services.suggestion_model_train(min_cases=options["min_cases"])
        if model is None:
            self.stdout.write("Too few cases tagged with a current root cause: no model trained.")
            return
        queued = services.cases_to_suggest()
        self.stdout.write(
            f"Model v{model.version}: {model.cases} cases, {model.classes} root causes, "
            f"trained in {model.figures['train_seconds']} s; {queued} open cases queued "
            f"for suggestions."
        )
