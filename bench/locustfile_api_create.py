"""Locust user for bench/api_create.py: each user opens cases through the REST API, no pause."""

import itertools
import os
import uuid

from locust import FastHttpUser, constant, task

TOKEN = os.environ["CXDESK_BENCH_TOKEN"]
_counter = itertools.count()


class Integration(FastHttpUser):
    wait_time = constant(0)

    @task
    def create_case(self):
        n = next(_counter)
        payload = {
            "subject": f"Order {n} arrived damaged",
            "requester": {
                "email": f"bench-{uuid.uuid4().hex[:12]}@example.com",
                "name": "Bench Customer",
            },
            "channel": "web",
            "priority": "normal",
            "tags": ["bench"],
            "message": {"body_text": "The box was crushed and the mug inside is broken."},
        }
        headers = {"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": uuid.uuid4().hex}
        with self.client.post(
            "/api/v1/cases/",
            json=payload,
            headers=headers,
            name="POST /api/v1/cases/",
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"{response.status_code}: {response.text[:200]}")
