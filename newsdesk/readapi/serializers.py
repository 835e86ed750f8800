"""Wagtail's page serializer, with every page address taken from NEWSDESK_BASE_URL.

Wagtail writes `html_url` from the Site record (page.full_url) and nests the parent and the
alias target with its own serializer. Newsdesk keeps the Site record in step with
NEWSDESK_BASE_URL (core/sites.py), but every public address it writes elsewhere (feeds,
canonical links) comes from the setting itself, so the API does the same. `alias_of` is also
checked against the public pages, as Wagtail already checks `parent`: an alias must not name a
draft or private original.
"""

from wagtail.api.v2 import serializers as wagtail

from newsdesk.readapi.fields import HtmlUrl


class _Nested:
    """A parent or alias as a small nested page: id, type, addresses and title."""

    def to_representation(self, value):
        serializer_class = wagtail.get_serializer_class(
            value.__class__,
            ["id", "type", "detail_url", "html_url", "title"],
            meta_fields=["type", "detail_url", "html_url"],
            base=PageSerializer,
        )
        return serializer_class(context=self.context).to_representation(value)


class Parent(_Nested, wagtail.PageParentField):
    pass


class AliasOf(_Nested, wagtail.PageAliasOfField):
    def get_attribute(self, instance):
        original = instance.alias_of
        if original and self.context["base_queryset"].filter(pk=original.pk).exists():
            return original
        return None


class PageSerializer(wagtail.PageSerializer):
    html_url = HtmlUrl()
    parent = Parent(read_only=True)
    alias_of = AliasOf(read_only=True)
