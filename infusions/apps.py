from django.apps import AppConfig


class InfusionsConfig(AppConfig):
    name = "infusions"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save, pre_delete

        from patients.models import Membership

        from . import feeds

        # A calendar feed dies with its maker's ownership (infusions.feeds).
        user = get_user_model()
        post_save.connect(feeds.on_membership_saved, sender=Membership, dispatch_uid="feeds-ms")
        post_delete.connect(feeds.on_membership_deleted, sender=Membership, dispatch_uid="feeds-md")
        post_save.connect(feeds.on_user_saved, sender=user, dispatch_uid="feeds-us")
        pre_delete.connect(feeds.on_user_deleted, sender=user, dispatch_uid="feeds-ud")
