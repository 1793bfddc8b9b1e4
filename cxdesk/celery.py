"""The Celery application. Tasks live in each app's tasks.py and are found by autodiscovery."""

import os
from pathlib import Path

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxdesk.settings")

app = Celery("cxdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_filesystem_broker_folders(sender, **kwargs):
    """kombu's filesystem transport needs its folders to exist before the first message."""
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


# `make demo` prints its banner once the web server, the worker and beat are all up
# (cxdesk/demo_run.py): each Celery process says so by a file in $CXDESK_READY_DIR.
def _say_ready(name: str) -> None:
    folder = os.environ.get("CXDESK_READY_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        Path(folder, f"{name}.ready").touch()


@signals.worker_ready.connect
def _worker_ready(sender=None, **kwargs):
    _say_ready("worker")


@signals.beat_init.connect
def _beat_ready(sender=None, **kwargs):
    _say_ready("beat")
