"""Admin panels shared by the page types."""

from django.core.validators import EMPTY_VALUES
from django.forms.formsets import DELETION_FIELD_NAME, ORDERING_FIELD_NAME
from modelcluster.forms import BaseChildFormSet
from wagtail.admin.panels import InlinePanel


class DraftChildFormSet(BaseChildFormSet):
    """An inline list in which a new row left blank is no row at all while saving a draft.

    Wagtail defers required fields when it saves a draft (autosave, "Save draft"), except
    those the database needs, such as a byline row's author. So a row the editor has just
    added, or the blank one shown to meet `min_num`, failed every autosave of the page with a
    validation error (a 400 in the browser's console) until it was filled in. In a draft such
    a row is dropped, as a deleted row is; publishing still validates it and says what is
    missing.
    """

    def _should_delete_form(self, form):
        return super()._should_delete_form(form) or self._blank_in_draft(form)

    def _blank_in_draft(self, form):
        if not getattr(form, "is_deferred_validation", False):
            return False
        # Only rows never saved: emptying a saved row is an edit. After an autosave Wagtail
        # counts every row as an initial one, with an empty id if it was not saved, so the
        # id (not the position) says which rows are new.
        if form.instance.pk is not None:
            return False
        ignored = {ORDERING_FIELD_NAME, DELETION_FIELD_NAME, self.model._meta.pk.name}
        return all(
            form[name].value() in EMPTY_VALUES for name in form.fields if name not in ignored
        )


class DraftInlinePanel(InlinePanel):
    """An InlinePanel whose blank new rows do not stop a draft from saving."""

    def get_form_options(self):
        options = super().get_form_options()
        options["formsets"][self.relation_name]["formset"] = DraftChildFormSet
        return options
