from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"

    def ready(self) -> None:
        try:
            from django.tasks.signals import task_started  # Django >= 6.0
        except ImportError:
            from django_tasks.signals import task_started

        task_started.connect(_settle_worker, dispatch_uid="reports.settle_worker")


def _settle_worker(sender, **kwargs) -> None:
    """A task worker's first task: freeze what it loaded (``reports.jobs.settle_worker``). The
    immediate backend runs tasks inside a web request or a test: never there."""
    try:
        from django.tasks.backends.immediate import ImmediateBackend  # Django >= 6.0
    except ImportError:
        from django_tasks.backends.immediate import ImmediateBackend
    if isinstance(sender, type) and issubclass(sender, ImmediateBackend):
        return
    from . import jobs

    jobs.settle_worker()
