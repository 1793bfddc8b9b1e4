"""A service enqueues a task by name even in a process that never imported its tasks.py."""

import os
import subprocess
import sys


def test_a_task_is_found_by_name_before_its_module_was_imported(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.isupper() or k in ("PATH", "HOME")}
    env.update(DJANGO_SETTINGS_MODULE="cxdesk.settings", CXDESK_VAR_DIR=str(tmp_path))
    code = (
        "import sys, django; django.setup()\n"
        "from apps.core.queue import task_named\n"
        "assert 'apps.cases.tasks' not in sys.modules\n"
        "print(task_named('apps.cases.tasks.send_interaction').name)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("apps.cases.tasks.send_interaction")
