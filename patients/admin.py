from django.contrib import admin, messages
from django.contrib.admin.utils import NestedObjects
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect

from .models import Membership, Patient, User, last_owner_message


class ShowsRefusals:
    """A write the models refuse (a ValidationError, e.g. "the diary needs an owner") answers
    with the message on the page, not a server error, and keeps nothing of that request."""

    def _refusable(self, view, request, *args, **kwargs):
        if request.method != "POST":  # reads stay out of a transaction (SQLite write lock)
            return view(request, *args, **kwargs)
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                return view(request, *args, **kwargs)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request, *args, **kwargs):
        return self._refusable(super().changeform_view, request, *args, **kwargs)

    def delete_view(self, request, *args, **kwargs):
        return self._refusable(super().delete_view, request, *args, **kwargs)

    def changelist_view(self, request, *args, **kwargs):  # actions: "Delete selected"
        return self._refusable(super().changelist_view, request, *args, **kwargs)


@admin.register(User)
class EmailUserAdmin(ShowsRefusals, UserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "is_staff", "date_joined"]
    search_fields = ["email", "display_name"]
    fieldsets = [
        (None, {"fields": ["email", "password", "display_name"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


class MembershipFormSet(BaseInlineFormSet):
    def clean(self):
        """A diary that has an owner keeps one: checked on the result of the whole form, so
        swapping owners in one save works (PatientAdmin.save_formset saves owners first)."""
        super().clean()
        if any(self.errors) or self.instance.pk is None:
            return
        if not self.instance.memberships.filter(role=Membership.Role.OWNER).exists():
            return  # nothing to keep (e.g. a diary made here without members)
        owners = [
            form
            for form in self.forms
            if form.cleaned_data
            and not self._should_delete_form(form)
            and form.cleaned_data.get("role") == Membership.Role.OWNER
        ]
        if not owners:
            raise ValidationError(last_owner_message(self.instance), code="last_owner")


class MembershipInline(admin.TabularInline):
    model = Membership
    formset = MembershipFormSet
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Patient)
class PatientAdmin(ShowsRefusals, admin.ModelAdmin):
    list_display = ["name", "public_id", "time_zone", "created_at"]
    readonly_fields = ["public_id"]
    inlines = [MembershipInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        memberships = formset.save(commit=False)
        # Owners first, removals last: a change of owners never passes through "no owner",
        # which Membership.save and patients.owners refuse.
        for membership in sorted(memberships, key=lambda m: m.role != Membership.Role.OWNER):
            membership.save()
        for membership in formset.deleted_objects:
            membership.delete()
        formset.save_m2m()
        return None

    def get_deleted_objects(self, objs, request):
        """Deleting a diary takes its infusions and plans along (Patient.delete), even those
        using the diary's own products, which PROTECT only from a product's own deletion: don't
        list them as blocking."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected:
            collector = NestedObjects(using=router.db_for_write(Patient))
            collector.collect(list(objs))
            ids = {obj.pk for obj in objs}
            if all(getattr(row, "patient_id", None) in ids for row in collector.protected):
                protected = []
        return deleted, counts, perms_needed, protected
