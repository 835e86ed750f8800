"""{% part "name" obj ... [lists="articles topics"] %}...{% endpart %}: a stored part.

The block is rendered only when the part is not stored (store.py): the context it reads
should be lazy (a callable, a cached property, a queryset not yet evaluated) so that a page
whose parts are stored makes none of those queries. Arguments after the name say what the
part is of (model instances, numbers, words: they make the key); `lists` names the lists it
shows, as the page cache's list tags. Previews always render the block: they show drafts.
"""

from django import template
from django.utils.safestring import mark_safe

from newsdesk.parts import store

register = template.Library()


class PartNode(template.Node):
    def __init__(self, nodelist, name, args, lists):
        self.nodelist = nodelist
        self.name = name
        self.args = args
        self.lists = lists

    def render(self, context):
        request = context.get("request")
        if request is None or getattr(request, "is_preview", False):
            return self.nodelist.render(context)
        args = [arg.resolve(context) for arg in self.args]
        lists = self.lists.resolve(context).split() if self.lists else ()
        name = self.name.resolve(context)
        objects = [arg for arg in args if hasattr(arg, "_meta")]
        html = store.use(
            store.key(name, *args),
            store.subject(name, args[0]),
            lambda: self.nodelist.render(context),
            objects,
            lists,
        )
        return mark_safe(html)  # noqa: S308 - HTML this template rendered and escaped


@register.tag("part")
def do_part(parser, token):
    bits = token.split_contents()[1:]
    if len(bits) < 2:
        raise template.TemplateSyntaxError("{% part %} needs a name and what it is a part of")
    lists = None
    if bits[-1].startswith("lists="):
        lists = parser.compile_filter(bits.pop().removeprefix("lists="))
    nodelist = parser.parse(("endpart",))
    parser.delete_first_token()
    return PartNode(
        nodelist,
        parser.compile_filter(bits[0]),
        [parser.compile_filter(b) for b in bits[1:]],
        lists,
    )


@register.simple_tag
def prefetch_parts(name, *groups):
    """{% prefetch_parts "card" articles lead %}: read the stored parts `name` of these
    objects (lists or single ones) in one query, before a loop shows them one by one."""
    objects = []
    for group in groups:
        if group is None or group == "":
            continue
        objects.extend([group] if hasattr(group, "_meta") else group)
    store.prefetch(name, objects)
    return ""
