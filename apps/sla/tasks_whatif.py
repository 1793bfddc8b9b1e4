"""The SLA what-if as a background job (the admin's "What-if"): see apps/sla/whatif.py.

Registered by name ("apps.sla.tasks_whatif.run_whatif") like the tasks of apps/sla/tasks.py:
apps.core.queue.task_named imports this module in a web process, and apps/sla/tasks.py
imports it so that a worker (whose autodiscovery reads tasks.py only) knows the task.
"""

from celery import shared_task

from . import whatif


@shared_task(acks_late=True)
def run_whatif(run_key: str) -> None:
    """Replay the run stored under `run_key`; progress and result go to the cache."""
    whatif.run_execute(run_key)
